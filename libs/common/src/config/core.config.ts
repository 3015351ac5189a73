import { registerAs } from '@nestjs/config';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from './config-error';
import { embeddedSecretKey, embeddedUsers } from './embedded-defaults';
import { enumSetting, intSetting, listSetting, stringMapSetting } from './parsers';
import { Env, readSetting } from './settings';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The keys of share links, in one place: the current key signs (SECRET_KEY, or the key generated in DATA_DIR), the
 * previous ones are still accepted when a link is checked (PREVIOUS_SECRET_KEYS, for a rotation).
 */
export interface SigningKeys {
  current: string;
  previous: string[];
  /** The current key is the one generated in DATA_DIR (no SECRET_KEY, outside production). */
  embedded: boolean;
}

/** The data folder (DATA_DIR, `data` by default), as an absolute path. */
export function dataDirSetting(env: Env): string {
  return resolve(readSetting(env, 'DATA_DIR') ?? 'data');
}

/**
 * SECRET_KEY and PREVIOUS_SECRET_KEYS, the one loader of the signing keys: the service's (through loadCoreConfig) and
 * the shares CLI's (which needs no other core setting). Outside production, without SECRET_KEY, the key generated in
 * the data folder (made on first use, kept with mode 0600).
 */
function loadSigningKeys(env: Env, dataDir = dataDirSetting(env)): SigningKeys {
  const secretKey = readSetting(env, 'SECRET_KEY');
  if (!secretKey && env.NODE_ENV === 'production') {
    throw new ConfigError(
      'SECRET_KEY',
      "is required when NODE_ENV=production: the key that signs share links (the same as the Python service's to keep its links valid)",
    );
  }
  const previous = listSetting(env, 'PREVIOUS_SECRET_KEYS');
  return secretKey
    ? { current: secretKey, previous, embedded: false }
    : { current: embeddedSecretKey(dataDir), previous, embedded: true };
}

/** PORT: where the service listens (8000 by default); development defaults that link to the service follow it. */
export function portSetting(env: Env): number {
  return intSetting(env, 'PORT', 8000, 0, 65535);
}

/** URL_PREFIX: the prefix of every route, '' by default ('/auth' → '/auth/tokens/...'). */
export function prefixSetting(env: Env): string {
  const prefix = readSetting(env, 'URL_PREFIX') ?? '';
  if (prefix && !/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(prefix)) {
    throw new ConfigError('URL_PREFIX', `expects a path such as /auth (leading "/", no trailing "/"), got "${prefix}"`);
  }
  return prefix;
}

export interface CoreConfig {
  production: boolean;
  host: string;
  port: number;
  /** Prefix of every route, '' by default ('/auth' → '/auth/tokens/...'). */
  prefix: string;
  bodyLimit: number;
  dataDir: string;
  signingKeys: SigningKeys;
  users: Record<string, string>;
  logLevel: LogLevel;
  /** Worker processes sharing the port (cluster mode); 1 = a single process. */
  workers: number;
  /** The longest spacing of failed Basic logins' answers from one address (ms; 0: no backoff). */
  basicFailureDelayMaxMs: number;
  /** Where the settings came from, for the start-up banner (never the values). */
  embedded: { secretKey: boolean; users: boolean; generatedPassword?: string };
  /** Things an operator must hear at start-up, in every mode (placeholder or weak secrets...), without the values. */
  warnings: string[];
}

/** Values shipped in examples and documentation: a site running on them is not protected. */
const PLACEHOLDERS = new Set([
  'change-me',
  'changeme',
  'secret',
  'password',
  'my-secret-key',
  'change-me-to-a-long-random-value',
]);

/** Caller passwords shorter than this are reported as weak (a warning: sites migrating keep theirs working). */
const MIN_PASSWORD_LENGTH = 12;

/**
 * Placeholder or weak secrets, reported at every start-up whatever NODE_ENV says: a test or staging instance
 * reachable from the network is protected by the same two secrets, and "development" is often what nobody changed.
 * Never refused (share links already sent with a short key must keep working); the values never appear.
 */
function weakSecretWarnings(secretKey: string, users: Record<string, string>): string[] {
  const warnings: string[] = [];
  if (PLACEHOLDERS.has(secretKey.toLowerCase())) {
    warnings.push(
      'SECRET_KEY is a placeholder value from the examples: anyone can forge share links. Set a long random key.',
    );
  } else if (secretKey.length < 16) {
    warnings.push(
      'SECRET_KEY is shorter than 16 characters: share links are easier to forge. (Kept as is so that links already sent stay valid.)',
    );
  }
  const placeholder = Object.entries(users)
    .filter(([, p]) => PLACEHOLDERS.has(p.toLowerCase()))
    .map(([login]) => login);
  if (placeholder.length)
    warnings.push(`USERS: the login(s) ${placeholder.join(', ')} still use a placeholder password from the examples.`);
  const weak = Object.entries(users)
    .filter(([login, p]) => !PLACEHOLDERS.has(p.toLowerCase()) && (p.length < MIN_PASSWORD_LENGTH || p === login))
    .map(([login]) => login);
  if (weak.length)
    warnings.push(
      `USERS: the login(s) ${weak.join(', ')} have a weak password (shorter than ${MIN_PASSWORD_LENGTH} characters, or the login itself): anyone who guesses it can create share links.`,
    );
  return warnings;
}

export function loadCoreConfig(env: Env): CoreConfig {
  const production = env.NODE_ENV === 'production';
  const dataDir = dataDirSetting(env);

  let users = stringMapSetting(env, 'USERS');
  const signingKeys = loadSigningKeys(env, dataDir);
  if (production && !users) {
    throw new ConfigError(
      'USERS',
      'is required when NODE_ENV=production: a JSON object of caller logins, e.g. {"share-user": "change-me"}',
    );
  }
  const embedded: CoreConfig['embedded'] = { secretKey: signingKeys.embedded, users: false };
  if (!users) {
    const generated = embeddedUsers(dataDir);
    users = generated.users;
    embedded.users = true;
    embedded.generatedPassword = generated.generatedPassword;
  }

  return {
    production,
    host: readSetting(env, 'HOST') ?? '0.0.0.0',
    port: portSetting(env),
    prefix: prefixSetting(env),
    bodyLimit: intSetting(env, 'BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    dataDir,
    signingKeys,
    users,
    logLevel: enumSetting(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    workers: workersSetting(env),
    basicFailureDelayMaxMs: intSetting(env, 'BASIC_FAILURE_DELAY_MAX_MS', 2000, 0, 60_000),
    embedded,
    warnings: weakSecretWarnings(signingKeys.current, users),
  };
}

/** WORKERS: a number of processes, or `auto` for one per available core (as uvicorn workers in the Python image). */
function workersSetting(env: Env): number {
  const raw = readSetting(env, 'WORKERS');
  if (raw !== undefined && raw.trim().toLowerCase() === 'auto') return availableParallelism();
  return intSetting(env, 'WORKERS', 1, 1, 64);
}

/** The signing keys alone, for the shares CLI (which needs no other core setting): `signingKeysConfig.KEY`. */
export const signingKeysConfig = registerAs('signingKeys', (): SigningKeys => loadSigningKeys(process.env));

/** ConfigModule's `core` namespace (`@Inject(coreConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const coreConfig = registerAs('core', (): CoreConfig => loadCoreConfig(process.env));
