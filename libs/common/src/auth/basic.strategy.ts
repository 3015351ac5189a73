import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { BasicStrategy as PassportBasic } from 'passport-http';
import { BasicCredentials } from './basic-credentials';
import { Caller } from './caller';

interface BasicRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** What passport gives a strategy for each request (passport-strategy's actions). */
interface StrategyActions {
  success(user: Caller): void;
  fail(...args: unknown[]): void;
}

/**
 * passport-http's Basic strategy, whose verify is the service's one Basic check: the raw `Authorization` header
 * through {@link BasicCredentials} (passReqToCallback), the check the plain fastify routes and `/metrics` make too.
 * passport-http's own reading of the header is not trusted: it cuts the password at its second ":" and takes any
 * scheme containing "Basic" (`XBasicY ...`), so the login and password it passes to verify are ignored.
 */
@Injectable()
export class BasicAuthStrategy extends PassportStrategy(PassportBasic, 'basic') {
  constructor(private readonly credentials: BasicCredentials) {
    super({ realm: 'orthanc-auth', passReqToCallback: true });
  }

  validate(request: BasicRequest): Caller | false {
    const header = request.headers.authorization;
    const login = this.credentials.checkHeader(typeof header === 'string' ? header : undefined);
    return login === null ? false : { kind: 'basic', name: login };
  }

  /**
   * passport-http also gives up on some headers before it asks verify: a password that starts with ":" (it splits
   * at every colon, and the Python service accepts those), a tab after "Basic". So every refusal is put to the
   * shared check too: whatever it accepts is accepted, and nothing else.
   */
  override authenticate(request: BasicRequest, options?: object): void {
    const actions = this as unknown as StrategyActions;
    const fail = actions.fail.bind(actions);
    actions.fail = (...args: unknown[]) => {
      const caller = this.validate(request);
      if (caller) actions.success(caller);
      else fail(...args);
    };
    super.authenticate(request as never, options);
  }
}
