import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { BasicStrategy as PassportBasic } from 'passport-http';
import { coreConfig, CoreConfig } from '../config/core.config';
import { BasicCredentials } from './basic-credentials';
import { Caller } from './caller';

/** passport-http's Basic strategy over the USERS logins. */
@Injectable()
export class BasicAuthStrategy extends PassportStrategy(PassportBasic, 'basic') {
  private readonly credentials: BasicCredentials;

  constructor(@Inject(coreConfig.KEY) core: CoreConfig) {
    super({ realm: 'orthanc-auth' });
    this.credentials = new BasicCredentials(core.users);
  }

  validate(login: string, password: string): Caller | false {
    return this.credentials.check(login, password) ? { kind: 'basic', name: login } : false;
  }
}
