import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ConfigModule, registerAs } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllExceptionsFilter, CommonModule, CoreConfig } from '@app/common';
import { TokensModule, tokensConfig } from '@app/tokens';
import { KeycloakModule, keycloakConfig } from '@app/keycloak';
import { MedDreamModule, medDreamConfig } from '@app/meddream';
import { PermissionsModule, permissionsConfig } from '@app/permissions';
import { EmailsModule, emailsConfig } from '@app/emails';
import { SharesModule, sharesConfig } from '@app/shares';
import { CallerAuthGuard } from './auth/caller-auth.guard';
import { EmailsController } from './emails/emails.controller';
import { HealthController } from './health/health.controller';
import { OpsModule } from './ops/ops.module';
import { SharesController } from './shares/shares.controller';
import { SharePageController } from './share-page/share-page.controller';
import { sharePageConfig } from './share-page/share-page.config';
import { ProfileService } from './profiles/profile.service';
import { SettingsController } from './settings/settings.controller';
import { tokenCreationThrottlerOptions } from './tokens/token-creation-limit';
import { TokensController } from './tokens/tokens.controller';
import { StrictValidationPipe } from './validation.pipe';

@Module({})
export class AppModule {
  /** The whole service, on a core configuration already loaded (setup-app.ts loads it once, before the adapter). */
  static register(core: CoreConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [
            registerAs('core', () => core),
            tokensConfig,
            keycloakConfig,
            medDreamConfig,
            emailsConfig,
            permissionsConfig,
            sharesConfig,
            sharePageConfig,
          ],
        }),
        CommonModule,
        TokensModule,
        KeycloakModule,
        MedDreamModule,
        PermissionsModule,
        EmailsModule,
        SharesModule,
        OpsModule,
        // The rate limit of token creation (PUT /tokens/{type} only: see token-creation-limit.ts).
        ThrottlerModule.forRootAsync({ inject: [tokensConfig.KEY], useFactory: tokenCreationThrottlerOptions }),
      ],
      controllers: [
        HealthController,
        TokensController,
        EmailsController,
        SettingsController,
        SharesController,
        SharePageController,
      ],
      providers: [
        ProfileService,
        { provide: APP_GUARD, useClass: CallerAuthGuard },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
