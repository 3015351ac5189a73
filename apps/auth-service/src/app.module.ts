import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ConfigModule, registerAs } from '@nestjs/config';
import { AllExceptionsFilter, CommonModule, CoreConfig } from '@app/common';
import { TokensModule, tokensConfig } from '@app/tokens';
import { MedDreamModule, medDreamConfig } from '@app/meddream';
import { PermissionsModule, permissionsConfig } from '@app/permissions';
import { CallerAuthGuard } from './auth/caller-auth.guard';
import { HealthController } from './health/health.controller';
import { SettingsController } from './settings/settings.controller';
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
          load: [registerAs('core', () => core), tokensConfig, medDreamConfig, permissionsConfig],
        }),
        CommonModule,
        TokensModule,
        MedDreamModule,
        PermissionsModule,
      ],
      controllers: [HealthController, TokensController, SettingsController],
      providers: [
        { provide: APP_GUARD, useClass: CallerAuthGuard },
        { provide: APP_PIPE, useClass: StrictValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
