import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewShare } from '../share-record';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import { SqliteShareStore } from './sqlite-share.store';

const hash = (id: string) => createHash('sha256').update(id).digest('hex');
const share = (id: string, over: Partial<NewShare> = {}): NewShare => ({
  id,
  tokenHash: hash(id),
  type: 'stone-viewer-publication',
  resources: [{ dicomUid: `uid-${id}`, orthancId: `oid-${id}`, url: null, level: 'study' }],
  creator: { kind: 'basic', name: 'share-user', userId: null },
  createdAt: new Date(1_000_000),
  expiresAt: null,
  ...over,
});

describe('SqliteShareStore', () => {
  let dir: string;
  let store: SqliteShareStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shares-store-'));
    store = new SqliteShareStore(join(dir, 'nested', 'shares.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a step missing below the highest recorded one (branches merged in another order)', async () => {
    const other = join(dir, 'gap.sqlite');
    const db = new Database(other);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version !== 3)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    // A step of another branch, numbered above this one's.
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'from another branch', 0)").run();
    db.close();
    const gap = new SqliteShareStore(other);
    try {
      await gap.migrate();
      const check = new Database(other, { readonly: true });
      const versions = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      const tables = check.prepare("SELECT name FROM sqlite_master WHERE name = 'share_protections'").all();
      check.close();
      expect(versions.map((v: any) => v.version)).toEqual(
        [...SQLITE_MIGRATIONS.map((m) => m.version), 99].sort((a, b) => a - b),
      );
      expect(tables).toHaveLength(1);
    } finally {
      await gap.close();
    }
  });

  it('migrates once, to the current version, also when a second process opens the file', async () => {
    await store.migrate();
    const other = new SqliteShareStore(store.path);
    await other.migrate();
    expect(await other.schemaVersion()).toBe(5);
    await other.close();
  });

  it('creates its file readable by its owner only', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('round-trips a share and finds it by token hash', async () => {
    await store.insert(share('a'));
    expect(await store.get('a')).toEqual({
      ...share('a'),
      revokedAt: null,
      revokedBy: null,
      parentId: null,
      parentRevokedAt: null,
    });
    expect((await store.findByTokenHash(hash('a')))?.id).toBe('a');
    expect(await store.get('nope')).toBeNull();
  });

  it('revokes idempotently, numbering revocations in order; another connection reads them after its cursor', async () => {
    await store.insert(share('a'));
    await store.insert(share('b'));
    const first = await store.revoke('a', 'basic:x', new Date(2_000_000));
    const second = await store.revoke('a', 'basic:y', new Date(3_000_000));
    expect(second).toEqual(first);
    expect(second?.revokedBy).toBe('basic:x');
    await store.revoke('b', 'basic:x', new Date(4_000_000));
    expect(await store.revoke('missing', 'basic:x', new Date())).toBeNull();

    const reader = new SqliteShareStore(store.path);
    const all = await reader.revocationsAfter(0, new Date(), 100);
    // Shares with an id are revoked by id: their token hash is not read.
    expect(all).toEqual({
      entries: [
        { id: 'a', tokenHash: '', seq: 1, expiresAt: null },
        { id: 'b', tokenHash: '', seq: 2, expiresAt: null },
      ],
      through: 2,
    });
    expect((await reader.revocationsAfter(1, new Date(), 100)).entries.map((e) => e.id)).toEqual(['b']);
    // A full chunk accounts for what it holds only.
    expect(await reader.revocationsAfter(0, new Date(), 1)).toMatchObject({ entries: [{ id: 'a' }], through: 1 });
    await reader.close();
  });

  it('leaves expired shares out of the revocation set (expired links are refused anyway)', async () => {
    await store.insert(share('old', { expiresAt: new Date(Date.now() - 1000) }));
    await store.revoke('old', 'basic:x', new Date());
    // Not in the set, but accounted for: the next read starts after it.
    expect(await store.revocationsAfter(0, new Date(), 100)).toEqual({ entries: [], through: 1 });
  });

  it('records a token revoked by hash once', async () => {
    const row = share(`hash:${hash('abc')}`, { tokenHash: hash('abc'), creator: null, createdAt: null });
    const first = await store.insertRevoked(row, 'cli:root', new Date(5_000_000));
    const again = await store.insertRevoked(row, 'cli:other', new Date(6_000_000));
    expect(again).toEqual(first);
    expect(first).toMatchObject({ id: `hash:${hash('abc')}`, revokedBy: 'cli:root', creator: null, createdAt: null });
    // A token revoked by hash: the set needs its hash.
    expect((await store.revocationsAfter(0, new Date(), 10)).entries).toEqual([
      { id: `hash:${hash('abc')}`, tokenHash: hash('abc'), seq: 1, expiresAt: null },
    ]);
  });
});
