import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { coreConfig, CoreConfig } from './config/core.config';
import { BasicCredentials } from './auth/basic-credentials';
import { BasicAuthStrategy } from './auth/basic.strategy';
import { BasicAuthGuard } from './auth/basic-auth.guard';

/**
 * The caller logins of USERS as one BasicCredentials, shared by every entry point that checks Basic: the passport
 * strategy behind the Nest routes' guard, the plain fastify routes (setup-app.ts) and `/metrics`.
 */
@Module({
  imports: [PassportModule],
  providers: [
    {
      provide: BasicCredentials,
      inject: [coreConfig.KEY],
      useFactory: (core: CoreConfig) => new BasicCredentials(core.users),
    },
    BasicAuthStrategy,
    BasicAuthGuard,
  ],
  exports: [BasicCredentials, BasicAuthGuard],
})
export class CommonModule {}
