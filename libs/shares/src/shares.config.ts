import { resolve } from 'node:path';
import { boolSetting, ConfigError, configNamespace, Env, readSetting } from '@app/common';

export type SharesStorage = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface SharesConfig {
  /** ENABLE_SHARES_REGISTRY: when false, tokens carry no share_id and nothing is recorded or revocable. */
  enabled: boolean;
  storage: SharesStorage;
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
    return { enabled, storage: { kind: 'postgres', url } };
  }
  const sqlite = readSetting(env, 'SHARES_SQLITE_PATH');
  const dataDir = resolve(readSetting(env, 'DATA_DIR') ?? 'data');
  return { enabled, storage: { kind: 'sqlite', path: sqlite ? resolve(sqlite) : resolve(dataDir, 'shares.sqlite') } };
}

/** Filled by the application from its one reading of the environment (see configNamespace). */
export const sharesConfig = configNamespace<SharesConfig>('shares');
