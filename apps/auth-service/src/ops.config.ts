import { registerAs } from '@nestjs/config';
import { boolSetting, CoreConfig, enumSetting, Env, intSetting, LogFormat, readSetting } from '@app/common';

export interface OpsConfig {
  /** ENABLE_DOCS: the OpenAPI document at /docs-json and its UI at /docs (public). */
  enableDocs: boolean;
  /** METRICS_PUBLIC: /metrics without Basic credentials (for a scraper on a private network). */
  metricsPublic: boolean;
  /** ACCESS_LOG: one info line per request; otherwise request lines are written at debug level only. */
  accessLog: boolean;
  /** LOG_FORMAT: json (default when NODE_ENV=production) or pretty (the default otherwise). */
  logFormat: LogFormat;
  /** SHUTDOWN_TIMEOUT (s): after SIGTERM, the longest wait for in-flight requests before a forced exit. */
  shutdownTimeoutMs: number;
}

export function loadOpsConfig(env: Env): OpsConfig {
  const production = env.NODE_ENV === 'production';
  return {
    enableDocs: boolSetting(env, 'ENABLE_DOCS', true),
    metricsPublic: boolSetting(env, 'METRICS_PUBLIC', false),
    accessLog: boolSetting(env, 'ACCESS_LOG', false),
    logFormat: enumSetting(env, 'LOG_FORMAT', ['json', 'pretty'] as const, production ? 'json' : 'pretty'),
    shutdownTimeoutMs: intSetting(env, 'SHUTDOWN_TIMEOUT', 10, 1, 600) * 1000,
  };
}

/** Variables that hold secrets by name, besides the ones matched by SECRET_NAME. */
const SECRET_VARIABLES = [
  'SECRET_KEY',
  'PREVIOUS_SECRET_KEYS',
  'KEYCLOAK_CLIENT_SECRET',
  'EMAILS_SMTP_SERVER_PWD',
  'DATABASE_URL',
];
const SECRET_NAME = /(^|_)(PASSWORD|PWD|SECRET|TOKEN|API_KEY|PRIVATE)(_|$)/;
/** The shell's working directories: names that look like a password variable but hold a path. */
const NOT_SECRETS = new Set(['PWD', 'OLDPWD']);

/**
 * Every configured secret value (callers' passwords, signing keys, SMTP and Keycloak secrets, the database
 * password...), for the log scrubber: whatever happens, these strings never reach a log line.
 */
export function secretValues(env: Env, core: CoreConfig): string[] {
  const values = [core.signingKeys.current, ...core.signingKeys.previous, ...Object.values(core.users)];
  const names = new Set(SECRET_VARIABLES);
  for (const name of Object.keys(env)) {
    const base = name.endsWith('_FILE') ? name.slice(0, -5) : name;
    if (SECRET_NAME.test(base) && !NOT_SECRETS.has(base)) names.add(base);
  }
  for (const name of names) {
    let value: string | undefined;
    try {
      value = readSetting(env, name);
    } catch {
      continue; // a broken *_FILE is reported by the module that reads it
    }
    if (!value) continue;
    values.push(value, ...value.split(/[\s,]+/));
    if (value.startsWith('[')) {
      try {
        const list: unknown = JSON.parse(value); // PREVIOUS_SECRET_KEYS as a JSON array
        if (Array.isArray(list)) values.push(...list.filter((v): v is string => typeof v === 'string'));
      } catch {
        /* not JSON: the comma split above covers it */
      }
    }
    if (name === 'DATABASE_URL') {
      try {
        const password = decodeURIComponent(new URL(value).password);
        if (password) values.push(password);
      } catch {
        /* not a URL: the sharesConfig says so */
      }
    }
  }
  return values.filter((v) => v.length > 0);
}

/** ConfigModule's `ops` namespace (`@Inject(opsConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const opsConfig = registerAs('ops', (): OpsConfig => loadOpsConfig(process.env));
