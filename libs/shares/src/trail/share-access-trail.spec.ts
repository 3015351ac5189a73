import { Logger } from '@nestjs/common';
import type { ShareAccessEvent } from './share-access-event';
import type { AccessBatch, AccessTrailStore, ShareAccessSummary } from './share-access-record';
import { ShareAccessTrail, TRAIL_LIMITS, TrailLimits } from './share-access-trail';

/** A store that keeps what it is given, and can be made to fail. */
class MemoryStore implements AccessTrailStore {
  batches: AccessBatch[] = [];
  failures = 0;
  pruneCalls: { before: Date; limit: number }[] = [];
  toPrune = 0;

  async writeAccess(batch: AccessBatch): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database unreachable');
    }
    this.batches.push(structuredClone(batch));
  }

  async pruneAccess(before: Date, limit: number): Promise<number> {
    this.pruneCalls.push({ before, limit });
    const n = Math.min(limit, this.toPrune);
    this.toPrune -= n;
    return n;
  }

  async accessOf(): Promise<ShareAccessSummary> {
    return { counts: [], days: [], recent: [] };
  }

  get events() {
    return this.batches.flatMap((b) => b.events);
  }

  /** The counts written, summed per share, kind and outcome. */
  get counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.batches.flatMap((b) => b.counts)) {
      const k = `${c.shareId}/${c.kind}/${c.outcome}`;
      out[k] = (out[k] ?? 0) + c.count;
    }
    return out;
  }
}

const T0 = Date.parse('2026-11-30T10:00:00Z');
const event = (over: Partial<ShareAccessEvent> = {}): ShareAccessEvent => ({
  shareId: 's1',
  kind: 'unlock',
  outcome: 'failed',
  clientAddress: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
  at: new Date(T0),
  ...over,
});

describe('ShareAccessTrail', () => {
  let store: MemoryStore;
  let trail: ShareAccessTrail;
  let warnings: string[];

  /** A started trail; by default it writes only when asked (no timer tick, batches larger than the tests fill). */
  function start(limits: Partial<TrailLimits> = {}): ShareAccessTrail {
    trail = new ShareAccessTrail({
      ...TRAIL_LIMITS,
      flushMs: 3_600_000,
      retentionMs: 90 * 86_400_000,
      ...limits,
    });
    trail.start(store);
    return trail;
  }

  beforeEach(() => {
    store = new MemoryStore();
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await trail?.stop();
    jest.restoreAllMocks();
  });

  it('aggregates the counts in memory: one count per share, kind and outcome, with its first and last time', async () => {
    start();
    trail.record(event({ at: new Date(T0 + 2000) }));
    trail.record(event({ at: new Date(T0) }));
    trail.record(event({ at: new Date(T0 + 1000) }));
    trail.record(event({ kind: 'code-sent', outcome: 'ok' }));
    trail.record(event({ shareId: 's2' }));
    await trail.flush();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0].counts).toEqual(
      expect.arrayContaining([
        { shareId: 's1', kind: 'unlock', outcome: 'failed', count: 3, firstAt: T0, lastAt: T0 + 2000 },
        { shareId: 's1', kind: 'code-sent', outcome: 'ok', count: 1, firstAt: T0, lastAt: T0 },
        { shareId: 's2', kind: 'unlock', outcome: 'failed', count: 1, firstAt: T0, lastAt: T0 },
      ]),
    );
    expect(store.batches[0].counts).toHaveLength(3);
    expect(store.events).toHaveLength(5);
    expect(store.events[3]).toEqual({
      shareId: 's1',
      at: T0,
      kind: 'code-sent',
      outcome: 'ok',
      reason: null,
      childId: null,
      clientAddress: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
    });
  });

  it('does no I/O on the caller path: record() returns before anything is written', () => {
    start({ batchSize: 2, flushMs: 1 });
    const write = jest.spyOn(store, 'writeAccess');
    for (let i = 0; i < 10; i++) trail.record(event());
    expect(write).not.toHaveBeenCalled();
    expect(trail.stats().buffered).toBe(10);
  });

  it('writes in batches of batchSize, one write (transaction) each, the counts with the first', async () => {
    start({ batchSize: 10 });
    for (let i = 0; i < 25; i++) trail.record(event({ at: new Date(T0 + i) }));
    await trail.flush();
    expect(store.batches.map((b) => b.events.length)).toEqual([10, 10, 5]);
    expect(store.batches.map((b) => b.counts.length)).toEqual([1, 0, 0]);
    expect(store.counts).toEqual({ 's1/unlock/failed': 25 });
    // Oldest first.
    expect(store.events.map((e) => e.at - T0)).toEqual([...Array(25).keys()]);
  });

  it('writes at most batchesPerTick batches a tick: under a flood its writes per second are bounded', async () => {
    jest.useFakeTimers();
    try {
      start({ batchSize: 5, batchesPerTick: 2, flushMs: 1000 });
      for (let i = 0; i < 25; i++) trail.record(event());
      await jest.advanceTimersByTimeAsync(1000);
      expect(store.batches.map((b) => b.events.length)).toEqual([5, 5]);
      await jest.advanceTimersByTimeAsync(1000);
      expect(store.events).toHaveLength(20);
      await trail.flush(); // a read of the trail: everything
      expect(store.events).toHaveLength(25);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes on its timer', async () => {
    start({ flushMs: 20 });
    trail.record(event());
    const deadline = Date.now() + 10_000;
    while (store.events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(store.events).toHaveLength(1);
  });

  it('holds at most bufferSize events: the oldest are dropped with a counter and a warning, their counts kept', async () => {
    start({ bufferSize: 5 });
    for (let i = 0; i < 8; i++) trail.record(event({ at: new Date(T0 + i) }));
    expect(trail.stats()).toMatchObject({ buffered: 5, dropped: 3 });
    await trail.flush();
    expect(store.events.map((e) => e.at - T0)).toEqual([3, 4, 5, 6, 7]);
    expect(store.counts).toEqual({ 's1/unlock/failed': 8 });
    expect(warnings).toEqual([expect.stringContaining('details of 3 events were dropped')]);
  });

  it('holds at most countKeys counts between writes: beyond, events are dropped whole and counted', async () => {
    start({ countKeys: 2 });
    trail.record(event({ shareId: 'a' }));
    trail.record(event({ shareId: 'b' }));
    trail.record(event({ shareId: 'c' }));
    trail.record(event({ shareId: 'a' }));
    expect(trail.stats()).toMatchObject({ buffered: 3, dropped: 1 });
    await trail.flush();
    expect(store.counts).toEqual({ 'a/unlock/failed': 2, 'b/unlock/failed': 1 });
    // A child's grant dropped whole is not remembered: its next grant is its first one recorded.
    trail.record(event({ shareId: 'a' }));
    trail.record(event({ shareId: 'b' }));
    trail.record(event({ shareId: 'c', kind: 'child-grant', outcome: 'ok', childId: 'c1' }));
    await trail.flush();
    trail.record(event({ shareId: 'c', kind: 'child-grant', outcome: 'ok', childId: 'c1' }));
    await trail.flush();
    expect(store.counts['c/child-grant/ok']).toBe(1);
  });

  it('keeps the first grant of each child only, remembering a bounded number of child ids', async () => {
    start({ dedupSize: 2 });
    const grant = (childId: string) => trail.record(event({ kind: 'child-grant', outcome: 'ok', childId }));
    grant('c1');
    grant('c1');
    grant('c2');
    grant('c2');
    expect(trail.stats()).toMatchObject({ buffered: 2, duplicates: 2 });
    grant('c3'); // c1 is forgotten: the oldest of the remembered ids
    grant('c1');
    grant('c3');
    await trail.flush();
    expect(store.events.map((e) => e.childId)).toEqual(['c1', 'c2', 'c3', 'c1']);
    expect(store.counts).toEqual({ 's1/child-grant/ok': 4 });
    // Other kinds are never deduplicated; an unlock keeps the child it granted (issue 23: the trail names it).
    trail.record(event({ childId: 'c9' }));
    trail.record(event({ childId: 'c9' }));
    await trail.flush();
    expect(store.events.slice(4).map((e) => e.childId)).toEqual(['c9', 'c9']);
  });

  it('cuts long strings to bounded lengths and ignores what is not an event, never throwing', async () => {
    start();
    trail.record(event({ userAgent: 'x'.repeat(100_000), clientAddress: '1'.repeat(500), reason: 'r'.repeat(500) }));
    const bad = [
      null,
      undefined,
      {},
      event({ kind: 'download' as never }),
      event({ outcome: 'maybe' as never }),
      event({ shareId: '' }),
      event({ shareId: 's'.repeat(129) }),
    ];
    for (const e of bad) expect(() => trail.record(e as never)).not.toThrow();
    trail.record(event({ at: new Date('not a date'), userAgent: null, clientAddress: null }));
    await trail.flush();
    expect(trail.stats().invalid).toBe(7);
    expect(store.events).toHaveLength(2);
    expect(store.events[0].userAgent).toHaveLength(256);
    expect(store.events[0].clientAddress).toHaveLength(64);
    expect(store.events[0].reason).toHaveLength(64);
    expect(store.events[1]).toMatchObject({ userAgent: null, clientAddress: null });
    expect(Math.abs(store.events[1].at - Date.now())).toBeLessThan(60_000);
  });

  it('keeps what a failed write held and writes it on the next attempt, warning once', async () => {
    start({ batchSize: 3 });
    store.failures = 1;
    for (let i = 0; i < 2; i++) trail.record(event({ at: new Date(T0 + i) }));
    await trail.flush();
    expect(store.batches).toHaveLength(0);
    expect(warnings).toEqual([expect.stringContaining('database unreachable')]);
    trail.record(event({ at: new Date(T0 + 2) }));
    await trail.flush();
    expect(store.events.map((e) => e.at - T0)).toEqual([0, 1, 2]);
    expect(store.counts).toEqual({ 's1/unlock/failed': 3 });
  });

  it('prunes the events older than the retention, a chunk at a time', async () => {
    start({ retentionMs: 86_400_000, pruneChunk: 100 });
    store.toPrune = 250;
    const now = T0 + 10 * 86_400_000;
    expect(await trail.prune(now)).toBe(250);
    expect(store.pruneCalls.map((c) => c.limit)).toEqual([100, 100, 100]);
    expect(new Set(store.pruneCalls.map((c) => c.before.getTime()))).toEqual(new Set([now - 86_400_000]));
    expect(trail.stats().pruned).toBe(250);
  });

  it('prunes on its own timer', async () => {
    start({ pruneEveryMs: 20 });
    const deadline = Date.now() + 10_000;
    while (store.pruneCalls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(store.pruneCalls.length).toBeGreaterThanOrEqual(2);
  });

  it('writes what is left when it stops, and drops (counting) what comes after', async () => {
    start();
    for (let i = 0; i < 3; i++) trail.record(event());
    await trail.stop();
    expect(store.events).toHaveLength(3);
    trail.record(event());
    await trail.flush();
    expect(store.events).toHaveLength(3);
    expect(trail.stats().dropped).toBe(1);
  });

  it('keeps nothing before it is started (the registry disabled)', () => {
    trail = new ShareAccessTrail({ ...TRAIL_LIMITS, retentionMs: 1 });
    trail.record(event());
    expect(trail.stats().buffered).toBe(0);
  });

  it('counts page views and refusals per share and day without keeping them one by one; an unlock keeps its child', async () => {
    start();
    for (let i = 0; i < 50; i++) trail.record(event({ kind: 'page-open', outcome: 'ok', at: new Date(T0 + i) }));
    trail.record(event({ kind: 'unlock', outcome: 'locked', reason: 'link-address' }));
    trail.record(event({ kind: 'code-sent', outcome: 'failed', reason: 'rate-limited:per-link-hour' }));
    trail.record(event({ kind: 'unlock', outcome: 'ok', childId: 'child-9' }));
    await trail.flush();
    const [batch] = store.batches;
    expect(batch.events.map((e) => [e.kind, e.outcome, e.childId])).toEqual([['unlock', 'ok', 'child-9']]);
    expect(batch.days).toEqual(
      expect.arrayContaining([
        { shareId: 's1', day: Math.floor(T0 / 86_400_000), kind: 'page-open', outcome: 'ok', count: 50 },
      ]),
    );
    expect(batch.keepPerShare).toBe(TRAIL_LIMITS.eventsPerShare);
    expect(store.counts).toMatchObject({ 's1/page-open/ok': 50, 's1/unlock/locked': 1, 's1/code-sent/failed': 1 });
  });
});
