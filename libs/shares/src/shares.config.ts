import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { boolSetting, ConfigError, Env, intSetting, listSetting, readSetting } from '@app/common';

export type SharesStorage = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface SharesConfig {
  /** ENABLE_SHARES_REGISTRY: when false, tokens carry no share_id and nothing is recorded or revocable. */
  enabled: boolean;
  storage: SharesStorage;
  /** The access trail of protected shares (issue 15). */
  trail: ShareTrailConfig;
  /** Protected links: how unlocking them is limited. */
  unlock: UnlockLimits;
}

interface ShareTrailConfig {
  /** SHARE_TRAIL_RETENTION_DAYS: events (with client addresses and user agents) older than this are deleted. */
  retentionDays: number;
  /** SHARE_TRAIL_RECENT_EVENTS: how many of a share's newest events `GET /shares/{id}` and `show` give. */
  recentEvents: number;
}

function loadShareTrailConfig(env: Env): ShareTrailConfig {
  return {
    retentionDays: intSetting(env, 'SHARE_TRAIL_RETENTION_DAYS', 90, 1, 3650),
    recentEvents: intSetting(env, 'SHARE_TRAIL_RECENT_EVENTS', 20, 1, 200),
  };
}

export interface UnlockLimits {
  /** Failures from one client address on one link within the lock window, after which it may not try that link. */
  maxFailures: number;
  /** Failures from one client address on any link within the lock window, after which it may not try any. */
  maxFailuresPerAddress: number;
  /** The lock window, in ms (SHARE_UNLOCK_LOCK_MINUTES). */
  lockMs: number;
  /** Wrong guesses a link takes per day from anyone (SHARE_UNLOCK_GUESSES_PER_DAY); past them, one per new address. */
  guessesPerDay: number;
  /** Wrong guesses a link takes per day at most (SHARE_UNLOCK_MAX_GUESSES_PER_DAY); the addresses that opened it excepted. */
  maxGuessesPerDay: number;
  /** Codes asked per link and recipient per hour (SHARE_CODE_REQUESTS_PER_HOUR). */
  codeRequestsPerHour: number;
  /** Code e-mails one recipient address receives per day, whatever the links (SHARE_CODE_EMAILS_PER_DAY). */
  codeEmailsPerDay: number;
  /** Password checks (scrypt) running at once per process (SHARE_UNLOCK_CONCURRENCY); 4 times as many wait. */
  concurrency: number;
  /** How long an e-mailed code is valid, in ms. */
  codeValidityMs: number;
  /** The reverse proxies whose X-Forwarded-For is believed (SHARE_TRUSTED_PROXIES: addresses or CIDR ranges). */
  trustedProxies: string[];
}

/** An e-mailed code is valid 10 minutes (issue 15). */
const SHARE_CODE_VALIDITY_MS = 10 * 60_000;

export function loadUnlockLimits(env: Env): UnlockLimits {
  const guessesPerDay = intSetting(env, 'SHARE_UNLOCK_GUESSES_PER_DAY', 50, 1, 100_000);
  return {
    guessesPerDay,
    maxGuessesPerDay: intSetting(
      env,
      'SHARE_UNLOCK_MAX_GUESSES_PER_DAY',
      Math.max(200, guessesPerDay),
      guessesPerDay,
      1_000_000,
    ),
    codeEmailsPerDay: intSetting(env, 'SHARE_CODE_EMAILS_PER_DAY', 10, 1, 1000),
    concurrency: intSetting(env, 'SHARE_UNLOCK_CONCURRENCY', 2, 1, 64),
    maxFailures: intSetting(env, 'SHARE_UNLOCK_MAX_FAILURES', 5, 1, 1000),
    maxFailuresPerAddress: intSetting(env, 'SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS', 20, 1, 100_000),
    lockMs: intSetting(env, 'SHARE_UNLOCK_LOCK_MINUTES', 15, 1, 7 * 24 * 60) * 60_000,
    codeRequestsPerHour: intSetting(env, 'SHARE_CODE_REQUESTS_PER_HOUR', 3, 1, 100),
    codeValidityMs: SHARE_CODE_VALIDITY_MS,
    trustedProxies: listSetting(env, 'SHARE_TRUSTED_PROXIES'),
  };
}

/** Pure: DATABASE_URL (postgres://...) selects PostgreSQL, otherwise SQLite in DATA_DIR (or SHARES_SQLITE_PATH). */
export function loadSharesConfig(env: Env): SharesConfig {
  const enabled = boolSetting(env, 'ENABLE_SHARES_REGISTRY', true);
  const trail = loadShareTrailConfig(env);
  const url = readSetting(env, 'DATABASE_URL');
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(
        'DATABASE_URL',
        'expects a PostgreSQL URL such as postgres://user:password@host:5432/orthanc_auth',
      );
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new ConfigError(
        'DATABASE_URL',
        `expects a postgres:// or postgresql:// URL, got the scheme "${parsed.protocol}"`,
      );
    }
    return { enabled, storage: { kind: 'postgres', url }, trail, unlock: loadUnlockLimits(env) };
  }
  const sqlite = readSetting(env, 'SHARES_SQLITE_PATH');
  const dataDir = resolve(readSetting(env, 'DATA_DIR') ?? 'data');
  return {
    enabled,
    storage: { kind: 'sqlite', path: sqlite ? resolve(sqlite) : resolve(dataDir, 'shares.sqlite') },
    trail,
    unlock: loadUnlockLimits(env),
  };
}

/** ConfigModule's `shares` namespace (`@Inject(sharesConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const sharesConfig = registerAs('shares', (): SharesConfig => loadSharesConfig(process.env));
