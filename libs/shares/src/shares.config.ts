import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { boolSetting, ConfigError, Env, intSetting, listSetting, readSetting } from '@app/common';

export type SharesStorage = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface SharesConfig {
  /** ENABLE_SHARES_REGISTRY: when false, tokens carry no share_id and nothing is recorded or revocable. */
  enabled: boolean;
  storage: SharesStorage;
  /** Protected links: how unlocking them is limited. */
  unlock: UnlockLimits;
}

export interface UnlockLimits {
  /** Failed unlocks (wrong passwords or codes) after which a share is locked (SHARE_UNLOCK_MAX_FAILURES). */
  maxFailures: number;
  /** Failed unlocks from one client address, on any share, after which that address is locked. */
  maxFailuresPerAddress: number;
  /** How long a lock lasts, in ms (SHARE_UNLOCK_LOCK_MINUTES). */
  lockMs: number;
  /** Codes one share may have e-mailed per hour (SHARE_CODE_REQUESTS_PER_HOUR). */
  codeRequestsPerHour: number;
  /** How long an e-mailed code is valid, in ms. */
  codeValidityMs: number;
  /** The reverse proxies whose X-Forwarded-For is believed (SHARE_TRUSTED_PROXIES: addresses or CIDR ranges). */
  trustedProxies: string[];
}

/** An e-mailed code is valid 10 minutes (issue 15). */
export const SHARE_CODE_VALIDITY_MS = 10 * 60_000;

export function loadUnlockLimits(env: Env): UnlockLimits {
  return {
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
    return { enabled, storage: { kind: 'postgres', url }, unlock: loadUnlockLimits(env) };
  }
  const sqlite = readSetting(env, 'SHARES_SQLITE_PATH');
  const dataDir = resolve(readSetting(env, 'DATA_DIR') ?? 'data');
  return {
    enabled,
    storage: { kind: 'sqlite', path: sqlite ? resolve(sqlite) : resolve(dataDir, 'shares.sqlite') },
    unlock: loadUnlockLimits(env),
  };
}

export const sharesConfig = registerAs('shares', (): SharesConfig => loadSharesConfig(process.env));
