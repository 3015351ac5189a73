import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter, ClientAddress, CommonModule, coreConfig, LoginBackoff } from '@app/common';
import type { CoreConfig } from '@app/common';
import { TokensModule } from '@app/tokens';
import { KeycloakModule } from '@app/keycloak';
import { MedDreamModule } from '@app/meddream';
import { PermissionsModule } from '@app/permissions';
import { EmailsModule } from '@app/emails';
import { SharesModule, sharesConfig } from '@app/shares';
import type { SharesConfig } from '@app/shares';
import { AppConfig, configNamespaces } from './app.config';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { CallerAuthGuard } from './auth/caller-auth.guard';
import { OidcJwtStrategy } from './auth/oidc-jwt.strategy';
import { EmailsController } from './emails/emails.controller';
import { HealthController } from './health/health.controller';
import { OpsModule } from './ops.module';
import { SharesController } from './shares/shares.controller';
import { SharePageModule } from './share-page/share-page.module';
import { ProfileService } from './profiles/profile.service';
import { SettingsController } from './settings/settings.controller';
import { TokenCreationLimiter } from './tokens/token-creation-limit';
import { TokensController } from './tokens/tokens.controller';
import { StrictValidationPipe } from './validation.pipe';

/** The configuration namespaces, for every module (global): each holds its part of the one loaded AppConfig. */
@Global()
@Module({})
class AppConfigModule {
  static register(config: AppConfig): DynamicModule {
    const providers = configNamespaces(config);
    return { module: AppConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/**
 * The one backoff of failed Basic logins, for every entry point that checks Basic (the caller guard, the plain routes,
 * `/metrics` in OpsModule): answered at a slowing pace per client address, the right password never waits. The client
 * address is read behind the same trusted proxies as the share page's (SHARE_TRUSTED_PROXIES).
 */
@Global()
@Module({
  providers: [
    {
      provide: LoginBackoff,
      inject: [coreConfig.KEY, sharesConfig.KEY],
      useFactory: (core: CoreConfig, shares: SharesConfig) =>
        new LoginBackoff(core.basicFailureDelayMaxMs, new ClientAddress(shares.unlock.trustedProxies)),
    },
  ],
  exports: [LoginBackoff],
})
class LoginBackoffModule {}

@Module({})
export class AppModule {
  /** The whole service, on its configuration already loaded and checked (main.ts reads the environment once). */
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.register(config),
        LoginBackoffModule,
        CommonModule,
        TokensModule,
        KeycloakModule,
        MedDreamModule,
        PermissionsModule,
        EmailsModule,
        SharesModule,
        OpsModule,
        SharePageModule,
      ],
      controllers: [HealthController, TokensController, EmailsController, SettingsController, SharesController],
      providers: [
        ProfileService,
        // The rate limit of token creation (PUT /tokens/{type} only), counted after validation.
        TokenCreationLimiter,

        // The bearer half of the caller guard: passport-jwt with get-profile's verifier (the Basic half is common's).
        OidcJwtStrategy,
        BearerAuthGuard,
        { provide: APP_GUARD, useClass: CallerAuthGuard },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
