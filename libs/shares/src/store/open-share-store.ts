import type { SharesStorage } from '../shares.config';
import { PgShareStore } from './pg-share.store';
import type { ShareStore } from './share-store';
import { SqliteShareStore } from './sqlite-share.store';

/** The store the configuration names, migrated to the current schema. */
export async function openShareStore(storage: SharesStorage): Promise<ShareStore> {
  const store: ShareStore =
    storage.kind === 'postgres' ? new PgShareStore(storage.url) : new SqliteShareStore(storage.path);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
