import type { ValueProvider } from '@nestjs/common';
import { ConfigFactory, ConfigFactoryKeyHost, ConfigModule, ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { resolve } from 'node:path';
import { coreConfig, CoreConfig, Env } from '@app/common';
import { emailsConfig, EmailsConfig } from '@app/emails';
import { keycloakConfig, KeycloakConfig } from '@app/keycloak';
import { medDreamConfig, MedDreamConfig } from '@app/meddream';
import { permissionsConfig, PermissionsConfig } from '@app/permissions';
import { sharesConfig, SharesConfig } from '@app/shares';
import { tokensConfig, TokensConfig } from '@app/tokens';
import { opsConfig, OpsConfig, secretValues } from './ops.config';
import { sharePageConfig, SharePageConfig } from './share-page/share-page.config';
import { loadWriteGuardConfig, WriteGuardConfig } from './write-guard/write-guard.config';

/**
 * Every setting of the service, read from the environment and checked once, at the edge of the process (main.ts, the
 * shares CLI, or a test's startApp), then handed down: the modules receive their part through their namespaces
 * (`@Inject(tokensConfig.KEY)`) and never read the environment themselves. A wrong value stops here, naming its
 * variable.
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
  /**
   * The names of the variables the namespaces consulted on this start (each setting's `NAME`, and `NAME_FILE` where
   * it was looked for): settings read only when a feature is on (e.g. the SMTP ones) are absent when it is off.
   */
  consulted: string[];
}

/** One module's configuration: a `registerAs` namespace whose factory loads and checks it from `process.env`. */
type Namespace = ConfigFactory & Pick<ConfigFactoryKeyHost, 'KEY'>;

/** The values of the namespaces, in their order. */
type Loaded<N extends readonly Namespace[]> = { -readonly [I in keyof N]: ConfigType<N[I]> };

/** Where the configuration is read from. */
export interface ConfigSource {
  /** The environment (process.env by default); a test passes its own, so that nothing of the developer's leaks in. */
  env?: Env;
  /**
   * The `.env` file read when present: `.env` in the working directory by default when `env` is process.env, none
   * when an environment is given; false: none. The environment wins over it; its values are not expanded (`$` in a
   * password stays `$`). Its values are added to `env` (as Nest adds them to process.env), so that a `*_FILE` set
   * there works as one set in the environment.
   */
  envFile?: string | false;
  /** Filled with the names of the variables read (each read passed on untouched: nothing is read twice for it). */
  consulted?: Set<string>;
}

/**
 * Loads the given namespaces the way Nest does, once: `ConfigModule.forRoot` reads the `.env` file (a variable already
 * in the environment wins), then each namespace's factory reads and checks its settings (a ConfigError names the
 * variable). ConfigModule is not asked to copy or validate the whole environment (`validatePredefined: false`): each
 * variable is read by the namespace that owns it, and only then. The main entry point and the shares CLI call this
 * once; the values are then handed down (AppModule.register).
 */
export function loadConfigNamespaces<const N extends readonly Namespace[]>(
  namespaces: N,
  source: ConfigSource = {},
): Promise<Loaded<N>> {
  // One load at a time: each swaps process.env for its duration (tests start several services in one process).
  const load = loading.then(() => loadNow(namespaces, source));
  loading = load.catch(() => undefined);
  return load;
}
let loading: Promise<unknown> = Promise.resolve();

async function loadNow<const N extends readonly Namespace[]>(namespaces: N, source: ConfigSource): Promise<Loaded<N>> {
  const saved = process.env;
  const env = source.env ?? saved;
  const envFile = source.envFile ?? (env === saved ? resolve('.env') : false);
  // Pinned with or without a .env file, so that every load reads the environment alike (config-read-once).
  const given = secretsDirPinned(env);
  // The factories read process.env, as registerAs factories do: for the load, it is the given environment.
  process.env = source.consulted ? recordNames(given, source.consulted) : given;
  try {
    const configModule = await ConfigModule.forRoot({
      load: [...namespaces],
      cache: true,
      ignoreEnvFile: envFile === false,
      ...(envFile === false ? {} : { envFilePath: envFile }),
      validatePredefined: false,
    });
    // A literal of the options' fields, as Nest's own samples pass it (the type is a class only to carry defaults).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const context = await NestFactory.createApplicationContext(configModule, { logger: false, abortOnError: false });
    try {
      return namespaces.map((namespace) => context.get<unknown>(namespace.KEY)) as Loaded<N>;
    } finally {
      await context.close();
    }
  } finally {
    process.env = saved;
  }
}

/**
 * SECRETS_DIR as the environment says, or Docker's default: never from the .env file. A .env that moved the secrets
 * folder would replace every Docker secret (SECRET_KEY_FILE, USERS...) with files of its choosing, where the
 * environment and the mounted secrets are meant to win over it.
 */
function secretsDirPinned(env: Env): Env {
  if (env.SECRETS_DIR !== undefined) return env;
  const isPinned = (name: string | symbol) => name === 'SECRETS_DIR';
  return new Proxy(env, {
    get: (target, name): unknown => (isPinned(name) ? DEFAULT_SECRETS_DIR : Reflect.get(target, name)),
    has: (target, name) => isPinned(name) || Reflect.has(target, name),
    set: (target, name, value) => isPinned(name) || Reflect.set(target, name, value),
  });
}
const DEFAULT_SECRETS_DIR = '/run/secrets';

/** Read by Nest itself while it builds a module, not a setting of the service. */
const FRAMEWORK_VARIABLES = new Set(['NEST_DEBUG']);

/** `env` as it is, with the names read from it (`env.X`, `'X' in env`) added to `names`. */
function recordNames(env: Env, names: Set<string>): Env {
  const record = (name: string | symbol) =>
    typeof name === 'string' && !FRAMEWORK_VARIABLES.has(name) && names.add(name);
  return new Proxy(env, {
    get: (target, name): unknown => (record(name), Reflect.get(target, name)),
    has: (target, name) => (record(name), Reflect.has(target, name)),
  });
}

/** The whole service's configuration, loaded once (see loadConfigNamespaces). */
export async function loadAppConfig(source: ConfigSource = {}): Promise<AppConfig> {
  const consulted = source.consulted ?? new Set<string>();
  const env = source.env ?? process.env;
  const [core, ops, tokens, keycloak, meddream, emails, shares, permissions, sharePage] = await loadConfigNamespaces(
    // core first: it makes the embedded secrets the others may rely on.
    [
      coreConfig,
      opsConfig,
      tokensConfig,
      keycloakConfig,
      medDreamConfig,
      emailsConfig,
      sharesConfig,
      permissionsConfig,
      sharePageConfig,
    ],
    { ...source, env, consulted },
  );
  // What depends on more than one namespace, from the same environment (the .env file's values included).
  const recorded = recordNames(env, consulted);
  return {
    core,
    ops,
    writeGuard: loadWriteGuardConfig(recorded, core),
    tokens,
    keycloak,
    meddream,
    emails,
    shares,
    permissions,
    sharePage,
    secrets: secretValues(recorded, core),
    consulted: [...consulted].sort(),
  };
}

/** The modules' configuration namespaces (`@Inject(tokensConfig.KEY)`...), filled from the one loaded AppConfig. */
export function configNamespaces(config: AppConfig): ValueProvider[] {
  const provide = <T>(namespace: Pick<ConfigFactoryKeyHost<T>, 'KEY'>, value: T): ValueProvider<T> => ({
    provide: namespace.KEY,
    useValue: value,
  });
  return [
    provide(coreConfig, config.core),
    provide(opsConfig, config.ops),
    provide(tokensConfig, config.tokens),
    provide(keycloakConfig, config.keycloak),
    provide(medDreamConfig, config.meddream),
    provide(emailsConfig, config.emails),
    provide(permissionsConfig, config.permissions),
    provide(sharesConfig, config.shares),
    provide(sharePageConfig, config.sharePage),
  ];
}
