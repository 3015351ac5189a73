import type { ValueProvider } from '@nestjs/common';
import { coreConfig, CoreConfig, Env, loadCoreConfig } from '@app/common';
import { emailsConfig, EmailsConfig, loadEmailsConfig } from '@app/emails';
import { keycloakConfig, KeycloakConfig, loadKeycloakConfig } from '@app/keycloak';
import { loadMedDreamConfig, medDreamConfig, MedDreamConfig } from '@app/meddream';
import { loadPermissionsConfig, permissionsConfig, PermissionsConfig } from '@app/permissions';
import { loadSharesConfig, sharesConfig, SharesConfig } from '@app/shares';
import { loadTokensConfig, tokensConfig, TokensConfig } from '@app/tokens';
import { loadOpsConfig, opsConfig, OpsConfig, secretValues } from './ops.config';
import { loadSharePageConfig, sharePageConfig, SharePageConfig } from './share-page/share-page.config';
import { loadWriteGuardConfig, WriteGuardConfig } from './write-guard/write-guard.config';

/**
 * Every setting of the service, read from the environment and checked once, at the edge of the process (main.ts, or
 * a test's startApp), then handed down: the modules receive their part through {@link AppConfig}'s namespaces and
 * never read the environment themselves. A wrong value stops here, naming its variable.
 */
export interface AppConfig {
  core: CoreConfig;
  ops: OpsConfig;
  writeGuard: WriteGuardConfig;
  tokens: TokensConfig;
  keycloak: KeycloakConfig;
  meddream: MedDreamConfig;
  emails: EmailsConfig;
  shares: SharesConfig;
  permissions: PermissionsConfig;
  sharePage: SharePageConfig;
  /** Every configured secret value, for the log scrubber (never logged, never shown). */
  secrets: string[];
}

export function loadAppConfig(env: Env): AppConfig {
  const core = loadCoreConfig(env);
  return {
    core,
    ops: loadOpsConfig(env),
    writeGuard: loadWriteGuardConfig(env, core),
    tokens: loadTokensConfig(env),
    keycloak: loadKeycloakConfig(env),
    meddream: loadMedDreamConfig(env),
    emails: loadEmailsConfig(env),
    shares: loadSharesConfig(env),
    permissions: loadPermissionsConfig(env),
    sharePage: loadSharePageConfig(env),
    secrets: secretValues(env, core),
  };
}

/** The modules' configuration namespaces (`@Inject(tokensConfig.KEY)`...), filled from the one loaded AppConfig. */
export function configNamespaces(config: AppConfig): ValueProvider[] {
  return [
    coreConfig.provide(config.core),
    opsConfig.provide(config.ops),
    tokensConfig.provide(config.tokens),
    keycloakConfig.provide(config.keycloak),
    medDreamConfig.provide(config.meddream),
    emailsConfig.provide(config.emails),
    permissionsConfig.provide(config.permissions),
    sharesConfig.provide(config.shares),
    sharePageConfig.provide(config.sharePage),
  ];
}
