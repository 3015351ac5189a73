import { ConfigError } from '@app/common';
import type { SharesStorage } from '../shares.config';

/**
 * Why the registry's storage could not be opened at start-up, naming the setting to look at: DATABASE_URL for
 * PostgreSQL (server down, wrong host, password refused, no such database), SHARES_SQLITE_PATH (or DATA_DIR, its
 * default folder) for SQLite. Never the URL itself: it holds the password.
 */
export function storageOpenError(storage: SharesStorage, err: unknown): ConfigError {
  // A refused connection to a name with several addresses is an AggregateError with no message: its code says it.
  const code = (err as { code?: unknown } | null)?.code;
  const cause = err instanceof Error ? err.message || (typeof code === 'string' ? code : err.name) : String(err);
  if (storage.kind === 'postgres') {
    let place = 'the server it names';
    try {
      const u = new URL(storage.url);
      place = `${u.hostname}:${u.port || '5432'}${u.pathname}`;
    } catch {
      /* validated by loadSharesConfig */
    }
    return new ConfigError(
      'DATABASE_URL',
      `names a PostgreSQL database the share registry cannot use (${place}): ${cause}`,
    );
  }
  return new ConfigError(
    'SHARES_SQLITE_PATH',
    `(default DATA_DIR/shares.sqlite) names a SQLite file the share registry cannot open (${storage.path}): ${cause}`,
  );
}
