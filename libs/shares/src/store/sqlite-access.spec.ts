import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessEventRecord } from '../trail/share-access-record';
import { SqliteShareStore } from './sqlite-share.store';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const ev = (over: Partial<AccessEventRecord> = {}): AccessEventRecord => ({
  shareId: 's1',
  at: T0,
  kind: 'page-open',
  outcome: 'ok',
  reason: null,
  childId: null,
  clientAddress: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  ...over,
});
const count = (e: AccessEventRecord, n = 1) => ({
  shareId: e.shareId,
  kind: e.kind,
  outcome: e.outcome,
  count: n,
  firstAt: e.at,
  lastAt: e.at,
});

/** The access trail's storage on a real SQLite file (PostgreSQL's: test/share-access.e2e-spec.ts). */
describe('SQLite access trail storage', () => {
  let dir: string;
  let store: SqliteShareStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'access-trail-'));
    store = new SqliteShareStore(join(dir, 'shares.sqlite'));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the counts of each batch, widening first and last, and answers the newest events first', async () => {
    const a = ev({ at: T0 + 1000 });
    const b = ev({ at: T0 + 5000, kind: 'unlock', outcome: 'failed', reason: 'wrong-password' });
    await store.writeAccess({ events: [a, b], counts: [count(a), count(b)], days: [], keepPerShare: 1000 });
    const c = ev({ at: T0 });
    await store.writeAccess({ events: [c], counts: [count(c, 4)], days: [], keepPerShare: 1000 });
    const s = await store.accessOf('s1', 10, new Date(0));
    expect(s.counts).toEqual(
      expect.arrayContaining([
        { kind: 'page-open', outcome: 'ok', count: 5, firstAt: T0, lastAt: T0 + 1000 },
        { kind: 'unlock', outcome: 'failed', count: 1, firstAt: T0 + 5000, lastAt: T0 + 5000 },
      ]),
    );
    expect(s.recent.map((e) => e.at - T0)).toEqual([5000, 1000, 0]);
    expect(s.recent[0]).toEqual({ ...b, shareId: undefined, at: T0 + 5000 });
    expect((await store.accessOf('s1', 2, new Date(0))).recent).toHaveLength(2);
    expect((await store.accessOf('s1', 10, new Date(T0 + 1000))).recent).toHaveLength(2);
    expect(await store.accessOf('other', 10, new Date(0))).toEqual({ counts: [], days: [], recent: [] });
  });

  it('keeps a child grant once, also when written again after a restart, taking its count back', async () => {
    const g = ev({ kind: 'child-grant', childId: 'child-1' });
    await store.writeAccess({ events: [g], counts: [count(g)], days: [], keepPerShare: 1000 });
    // A restarted service has forgotten it: the same grant comes again, with another child's.
    const h = ev({ kind: 'child-grant', childId: 'child-2', at: T0 + 1 });
    await store.writeAccess({
      events: [g, h],
      counts: [{ ...count(g, 2), lastAt: T0 + 1 }],
      days: [],
      keepPerShare: 1000,
    });
    const s = await store.accessOf('s1', 10, new Date(0));
    expect(s.counts).toEqual([{ kind: 'child-grant', outcome: 'ok', count: 2, firstAt: T0, lastAt: T0 + 1 }]);
    expect(s.recent.map((e) => e.childId)).toEqual(['child-2', 'child-1']);
  });

  it('writes a batch in one transaction: a failing batch leaves nothing behind', async () => {
    const a = ev();
    const broken = { ...ev(), kind: null as never };
    // (not toThrow: better-sqlite3's errors come from another realm when an earlier suite loaded the addon)
    await expect(
      store.writeAccess({ events: [a, broken], counts: [count(a)], days: [], keepPerShare: 1000 }),
    ).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT_NOTNULL',
    });
    expect(await store.accessOf('s1', 10, new Date(0))).toEqual({ counts: [], days: [], recent: [] });
  });

  it('prunes the events before a time, at most limit at a time, keeping the counts', async () => {
    const events = Array.from({ length: 7 }, (_, i) => ev({ at: T0 + i * 1000 }));
    await store.writeAccess({
      events,
      counts: [{ ...count(events[0], 7), lastAt: T0 + 6000 }],
      days: [],
      keepPerShare: 1000,
    });
    expect(await store.pruneAccess(new Date(T0 + 5000), 3)).toBe(3);
    expect(await store.pruneAccess(new Date(T0 + 5000), 3)).toBe(2);
    expect(await store.pruneAccess(new Date(T0 + 5000), 3)).toBe(0);
    const s = await store.accessOf('s1', 10, new Date(0));
    expect(s.recent.map((e) => e.at - T0)).toEqual([6000, 5000]);
    expect(s.counts[0].count).toBe(7);
  });

  it("keeps a share's newest keepPerShare events, and its daily counts", async () => {
    const events = Array.from({ length: 9 }, (_, i) => ev({ at: T0 + i * 1000 }));
    const day = Math.floor(T0 / 86_400_000);
    await store.writeAccess({
      events,
      counts: [{ ...count(events[0], 9), lastAt: T0 + 8000 }],
      days: [{ shareId: 's1', day, kind: 'page-open', outcome: 'ok', count: 9 }],
      keepPerShare: 4,
    });
    const s = await store.accessOf('s1', 10, new Date(0));
    expect(s.recent.map((e) => e.at - T0)).toEqual([8000, 7000, 6000, 5000]);
    expect(s.days).toEqual([{ day, kind: 'page-open', outcome: 'ok', count: 9 }]);
  });
});
