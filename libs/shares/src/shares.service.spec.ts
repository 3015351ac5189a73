import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShareTokenCodec } from '@app/tokens';
import type { CoreConfig } from '@app/common';
import { loadUnlockLimits } from './shares.config';
import { REVOCATION_CHUNK, REVOCATION_STARTUP_CHUNK, SharesService } from './shares.service';
import { SqliteShareStore } from './store/sqlite-share.store';

/**
 * How the service keeps its revocation set, on a real SQLite store: loaded in chunks at start-up, then resynced from
 * the last sequence number it has (everything again only when asked, as after a PostgreSQL reconnection), forgetting
 * the revocations of shares expired since.
 */
describe('SharesService revocation set', () => {
  const hash = (id: string) => createHash('sha256').update(id).digest('hex');
  let dir: string;
  let path: string;
  let service: SharesService;
  let reads: number[];

  /** `count` revoked shares, numbered from `from`, written as another process would (the CLI). */
  function revokeElsewhere(from: number, count: number, expiresAt: number | null = null): void {
    const db = new Database(path);
    const insert = db.prepare(
      `INSERT INTO shares (id, token_hash, type, created_at, expires_at, revoked_at, revoked_by, revoked_seq)
       VALUES (?, ?, 'stone-viewer-publication', 0, ?, 1, 'cli:test',
         (SELECT COALESCE(MAX(revoked_seq), 0) + 1 FROM shares WHERE revoked_seq IS NOT NULL))`,
    );
    db.transaction(() => {
      for (let i = from; i < from + count; i++) insert.run(`s${i}`, Buffer.from(hash(`s${i}`), 'hex'), expiresAt);
    })();
    db.close();
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shares-service-'));
    path = join(dir, 'shares.sqlite');
    const store = new SqliteShareStore(path);
    await store.migrate();
    await store.close();
    reads = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const real = SqliteShareStore.prototype.revocationsAfter;
    jest.spyOn(SqliteShareStore.prototype, 'revocationsAfter').mockImplementation(function (
      this: SqliteShareStore,
      ...a
    ) {
      reads.push(a[0]);
      return real.apply(this, a);
    });
    service = new SharesService(
      {
        enabled: true,
        storage: { kind: 'sqlite', path },
        trail: { retentionDays: 90, recentEvents: 20 },
        unlock: loadUnlockLimits({}),
      },
      { signingKeys: { current: 'k'.repeat(32), previous: [], embedded: false } } as unknown as CoreConfig,
      new ShareTokenCodec('k'.repeat(32)),
    );
  });
  afterEach(async () => {
    await service.onApplicationShutdown();
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loads ${REVOCATION_STARTUP_CHUNK} at a time at start-up, ${REVOCATION_CHUNK} at a time after`, async () => {
    const n = REVOCATION_STARTUP_CHUNK + 7;
    revokeElsewhere(0, n);
    await service.onModuleInit();
    expect(reads).toEqual([0, REVOCATION_STARTUP_CHUNK]);
    expect(service.isRevoked('s0', 'x')).toBe(true);
    expect(service.isRevoked(`s${n - 1}`, 'x')).toBe(true);
    expect(service.isRevoked('other', 'x')).toBe(false);
    reads.length = 0;
    await service.sync(true);
    expect(reads).toEqual(Array.from({ length: Math.ceil(n / REVOCATION_CHUNK) }, (_, i) => i * REVOCATION_CHUNK));
  });

  it('resyncs from the last revocation it has; everything again only when asked', async () => {
    revokeElsewhere(0, 3);
    await service.onModuleInit();
    revokeElsewhere(3, 2);
    reads.length = 0;
    await service.sync();
    expect(reads).toEqual([3]);
    expect(service.isRevoked('s4', 'x')).toBe(true);
    await service.sync();
    expect(reads).toEqual([3, 5]);
    await service.sync(true);
    expect(reads).toEqual([3, 5, 0]);
  });

  it('resumes past revocations of expired shares: they are not read again at every poll', async () => {
    revokeElsewhere(0, 2);
    revokeElsewhere(2, 50, Date.now() - 1000); // revoked after the others, expired already
    await service.onModuleInit();
    reads.length = 0;
    await service.sync();
    expect(reads).toEqual([52]);
    expect(service.isRevoked('s1', 'x')).toBe(true);
    expect(service.isRevoked('s2', 'x')).toBe(false);
  });

  it('forgets, at the next resync, the revocations of shares expired for over a minute', async () => {
    const soon = Date.now() + 60_000;
    revokeElsewhere(0, 2, soon);
    revokeElsewhere(2, 1, null);
    await service.onModuleInit();
    expect(service.isRevoked('s0', 'x')).toBe(true);
    jest.spyOn(Date, 'now').mockReturnValue(soon + 61_000);
    await service.sync();
    expect(service.isRevoked('s0', 'x')).toBe(false);
    expect(service.isRevoked('s1', 'x')).toBe(false);
    expect(service.isRevoked('s2', 'x')).toBe(true);
  });
});
