import { resolve } from 'node:path';
import { boolSetting, ConfigError, configNamespace, Env, intSetting, readSetting } from '@app/common';

export type SharesStorage = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface SharesConfig {
  /** ENABLE_SHARES_REGISTRY: when false, tokens carry no share_id and nothing is recorded or revocable. */
  enabled: boolean;
  storage: SharesStorage;
  /** The access trail of protected shares (issue 15). */
  trail: ShareTrailConfig;
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
    return { enabled, storage: { kind: 'postgres', url }, trail };
  }
  const sqlite = readSetting(env, 'SHARES_SQLITE_PATH');
  const dataDir = resolve(readSetting(env, 'DATA_DIR') ?? 'data');
  return {
    enabled,
    storage: { kind: 'sqlite', path: sqlite ? resolve(sqlite) : resolve(dataDir, 'shares.sqlite') },
    trail,
  };
}

/** Filled by the application from its one reading of the environment (see configNamespace). */
export const sharesConfig = configNamespace<SharesConfig>('shares');
