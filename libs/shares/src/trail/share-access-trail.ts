import { Logger } from '@nestjs/common';
import { SHARE_ACCESS_KINDS, SHARE_ACCESS_OUTCOMES } from './share-access-event';
import type { ShareAccessEvent } from './share-access-event';
import { ACCESS_FIELD_MAX, countKey, dayOf, SHARE_ID_MAX } from './share-access-record';
import type { AccessCountDelta, AccessDayDelta, AccessEventRecord, AccessTrailStore } from './share-access-record';

/** How much the trail holds and how often it writes. Every figure is a bound: memory never grows past them. */
export interface TrailLimits {
  /** Events per write (one transaction each). */
  batchSize: number;
  /** Events held in memory while waiting to be written; beyond, the oldest are dropped (their counts are kept). */
  bufferSize: number;
  /** Distinct (share, kind, outcome) counts held between writes; beyond, events are dropped whole. */
  countKeys: number;
  /** How often the buffer is written. */
  flushMs: number;
  /**
   * Batches one tick writes at most: under a flood the trail writes at most batchSize × this per flushMs, the rest of
   * the details waiting in (or dropped from) the bounded buffer, so the writes' cost per second is bounded too.
   */
  batchesPerTick: number;
  /** Child ids whose grant was recorded, remembered so that each child's first grant only is kept. */
  dedupSize: number;
  /** The newest events a share keeps, whatever the traffic (older ones are deleted as new ones are written). */
  eventsPerShare: number;
  /** Events older than this are deleted: the retention setting. */
  retentionMs: number;
  /** How often the old events are pruned, and how many rows one statement deletes. */
  pruneEveryMs: number;
  pruneChunk: number;
}

export const TRAIL_LIMITS: Omit<TrailLimits, 'retentionMs'> = {
  batchSize: 500,
  bufferSize: 20_000,
  countKeys: 20_000,
  flushMs: 1000,
  batchesPerTick: 4,
  dedupSize: 100_000,
  eventsPerShare: 1000,
  pruneEveryMs: 3_600_000,
  pruneChunk: 5000,
};

/** A warning about dropped events or failed writes at most this often. */
const WARN_EVERY_MS = 60_000;
/** The first pruning after start-up: not during it. */
const FIRST_PRUNE_MS = 60_000;

const KINDS = new Set<string>(SHARE_ACCESS_KINDS);

/**
 * The events that are counted only (per share, kind and outcome, and per day), never kept one by one: page views, and
 * refusals before any check (a lock, a rate limit), which anyone holding the link can repeat at will. Unlocks tried,
 * codes sent and child grants stay individual events.
 */
function countedOnly(e: ShareAccessEvent): boolean {
  return e.kind === 'page-open' || e.outcome === 'locked' || (e.reason ?? '').startsWith('rate-limited');
}
const OUTCOMES = new Set<string>(SHARE_ACCESS_OUTCOMES);

function clip(s: string | null | undefined, max: number): string | null {
  if (typeof s !== 'string' || s.length === 0) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/** A fixed-capacity queue: pushing onto a full one overwrites the oldest element. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** Adds at the back; answers whether the oldest element was overwritten. */
  push(item: T): boolean {
    const full = this.size === this.capacity;
    this.items[(this.head + this.size) % this.capacity] = item;
    if (full) this.head = (this.head + 1) % this.capacity;
    else this.size++;
    return full;
  }

  /** Puts back at the front (oldest first in `items`) as many as there is room for; answers how many did not fit. */
  unshiftAll(items: T[]): number {
    const room = Math.min(items.length, this.capacity - this.size);
    for (let i = room - 1; i >= 0; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = items[items.length - room + i];
      this.size++;
    }
    return items.length - room;
  }

  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.size > 0) {
      out.push(this.items[this.head]!);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    return out;
  }
}

export interface TrailStats {
  /** Events waiting to be written. */
  buffered: number;
  written: number;
  /** Events dropped whole or whose detail was dropped (buffer full, storage failing, after shutdown). */
  dropped: number;
  /** Repeated grants of a child already recorded, skipped. */
  duplicates: number;
  /** Events with an unknown kind or outcome or no share id, ignored. */
  invalid: number;
  pruned: number;
}

/**
 * The access trail of protected shares (issue 15): `record` is what validate and the share page call, so it does no
 * I/O, allocates one small object, and never throws. Counts are aggregated in memory per (share, kind, outcome) and
 * the events wait in a bounded ring; a timer writes them in batches of `batchSize`, one transaction each, at most
 * `batchesPerTick` a tick (a read of the trail and shutdown write everything). When the ring is full the oldest events' details are dropped (their counts are not), with a counter and a
 * warning at most once a minute. A failed write is retried on the next tick, what fits going back in the ring. Events
 * older than the retention are pruned every hour, in chunks. On shutdown what is left is written.
 */
export class ShareAccessTrail {
  private readonly logger = new Logger(ShareAccessTrail.name);
  private readonly ring: Ring<AccessEventRecord>;
  private counts = new Map<string, AccessCountDelta>();
  private days = new Map<string, AccessDayDelta>();
  /** The child ids remembered, and the same in arrival order (a ring: the oldest is forgotten in O(1)). */
  private readonly granted = new Set<string>();
  private readonly grantedOrder: string[] = [];
  private grantedNext = 0;
  private store: AccessTrailStore | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private pruning: Promise<number> | null = null;
  /** Until start(): nothing to write to (the registry disabled), so nothing is kept. */
  private stopped = true;
  private readonly stats_: TrailStats = { buffered: 0, written: 0, dropped: 0, duplicates: 0, invalid: 0, pruned: 0 };
  private droppedUnreported = 0;
  private lastWarn = 0;

  constructor(private readonly limits: TrailLimits) {
    this.ring = new Ring(limits.bufferSize);
  }

  /** Starts writing to `store` (the timers do not keep the process alive). */
  start(store: AccessTrailStore): void {
    this.store = store;
    this.stopped = false;
    this.flushTimer = setInterval(() => void this.tick(), this.limits.flushMs);
    this.flushTimer.unref();
    this.pruneTimer = setTimeout(() => this.schedulePrune(), Math.min(FIRST_PRUNE_MS, this.limits.pruneEveryMs));
    this.pruneTimer.unref();
  }

  private schedulePrune(): void {
    void this.prune().finally(() => {
      if (this.stopped) return;
      this.pruneTimer = setTimeout(() => this.schedulePrune(), this.limits.pruneEveryMs);
      this.pruneTimer.unref();
    });
  }

  /** Synchronous, no I/O, never throws: see the class. */
  record(e: ShareAccessEvent): void {
    try {
      if (this.stopped) {
        this.stats_.dropped++;
        return;
      }
      const id = e.shareId;
      if (typeof id !== 'string' || !id || id.length > SHARE_ID_MAX || !KINDS.has(e.kind) || !OUTCOMES.has(e.outcome)) {
        this.stats_.invalid++;
        return;
      }
      const childId = clip(e.childId, ACCESS_FIELD_MAX.childId);
      const grant = e.kind === 'child-grant' ? childId : null;
      if (grant !== null && this.granted.has(grant)) {
        this.stats_.duplicates++;
        return;
      }
      const t = e.at instanceof Date ? e.at.getTime() : NaN;
      const at = Number.isFinite(t) ? t : Date.now();
      const key = countKey(e.shareId, e.kind, e.outcome);
      const count = this.counts.get(key);
      if (count) {
        count.count++;
        if (at < count.firstAt) count.firstAt = at;
        if (at > count.lastAt) count.lastAt = at;
      } else if (this.counts.size < this.limits.countKeys) {
        this.counts.set(key, {
          shareId: e.shareId,
          kind: e.kind,
          outcome: e.outcome,
          count: 1,
          firstAt: at,
          lastAt: at,
        });
      } else {
        this.dropped(1);
        return;
      }
      if (grant !== null) this.remember(grant); // once counted: a grant dropped whole may come again
      const dayKey = `${key}\n${dayOf(at)}`;
      const day = this.days.get(dayKey);
      if (day) day.count++;
      else this.days.set(dayKey, { shareId: e.shareId, day: dayOf(at), kind: e.kind, outcome: e.outcome, count: 1 });
      if (countedOnly(e)) return;
      const overwritten = this.ring.push({
        shareId: e.shareId,
        at,
        kind: e.kind,
        outcome: e.outcome,
        reason: clip(e.reason, ACCESS_FIELD_MAX.reason),
        childId,
        clientAddress: clip(e.clientAddress, ACCESS_FIELD_MAX.clientAddress),
        userAgent: clip(e.userAgent, ACCESS_FIELD_MAX.userAgent),
      });
      if (overwritten) this.dropped(1);
    } catch {
      this.stats_.invalid++;
    }
  }

  /** Remembers a child id, forgetting the oldest beyond dedupSize (in O(1)). */
  private remember(childId: string): void {
    if (this.grantedOrder.length < this.limits.dedupSize) this.grantedOrder.push(childId);
    else {
      this.granted.delete(this.grantedOrder[this.grantedNext]);
      this.grantedOrder[this.grantedNext] = childId;
      this.grantedNext = (this.grantedNext + 1) % this.limits.dedupSize;
    }
    this.granted.add(childId);
  }

  private dropped(n: number): void {
    this.stats_.dropped += n;
    this.droppedUnreported += n;
  }

  stats(): TrailStats {
    return { ...this.stats_, buffered: this.ring.size };
  }

  /** The timer's write: at most batchesPerTick batches (none while another write runs). */
  private tick(): Promise<void> {
    if (this.flushing) return this.flushing;
    return this.write(this.limits.batchesPerTick);
  }

  /**
   * Writes everything recorded so far, a batch per transaction (before a read of the trail, and at shutdown). Never
   * rejects: a failure is logged and retried later.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      return this.flushing.then(() => (this.ring.size > 0 || this.counts.size > 0 ? this.flush() : undefined));
    }
    return this.write(Infinity);
  }

  private write(maxBatches: number): Promise<void> {
    this.flushing = this.drain(maxBatches).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(maxBatches: number): Promise<void> {
    this.reportDropped();
    const store = this.store;
    for (
      let n = 0;
      store && n < maxBatches && (this.ring.size > 0 || this.counts.size > 0 || this.days.size > 0);
      n++
    ) {
      const events = this.ring.take(this.limits.batchSize);
      const counts = [...this.counts.values()];
      const days = [...this.days.values()];
      this.counts = new Map();
      this.days = new Map();
      try {
        await store.writeAccess({ events, counts, days, keepPerShare: this.limits.eventsPerShare });
        this.stats_.written += events.length;
      } catch (err) {
        this.putBack(events, counts, days);
        this.warn(`could not write the share access trail (${this.ring.size} events wait): ${(err as Error).message}`);
        return;
      }
    }
  }

  /** After a failed write: the counts merge back (they are never lost), the events go back in front if they fit. */
  private putBack(events: AccessEventRecord[], counts: AccessCountDelta[], days: AccessDayDelta[]): void {
    for (const d of days) {
      const key = `${countKey(d.shareId, d.kind, d.outcome)}\n${d.day}`;
      const now = this.days.get(key);
      if (now) now.count += d.count;
      else this.days.set(key, d);
    }
    for (const c of counts) {
      const key = countKey(c.shareId, c.kind, c.outcome);
      const now = this.counts.get(key);
      if (now) {
        now.count += c.count;
        now.firstAt = Math.min(now.firstAt, c.firstAt);
        now.lastAt = Math.max(now.lastAt, c.lastAt);
      } else {
        this.counts.set(key, c);
      }
    }
    const lost = this.ring.unshiftAll(events);
    if (lost > 0) this.dropped(lost);
  }

  private reportDropped(): void {
    if (this.droppedUnreported === 0) return;
    if (this.warn(`share access trail full: the details of ${this.droppedUnreported} events were dropped (counted)`)) {
      this.droppedUnreported = 0;
    }
  }

  private warn(msg: string): boolean {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return false;
    this.lastWarn = now;
    this.logger.warn(msg);
    return true;
  }

  /** Deletes the events older than the retention, `pruneChunk` at a time (a turn of the event loop between). */
  prune(now: number = Date.now()): Promise<number> {
    if (this.pruning) return this.pruning;
    const store = this.store;
    if (!store) return Promise.resolve(0);
    const before = new Date(now - this.limits.retentionMs);
    const run = async (): Promise<number> => {
      let total = 0;
      for (;;) {
        const n = await store.pruneAccess(before, this.limits.pruneChunk);
        total += n;
        if (n < this.limits.pruneChunk || this.stopped) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.stats_.pruned += total;
      if (total > 0) this.logger.log(`share access trail: ${total} events older than ${before.toISOString()} deleted`);
      return total;
    };
    this.pruning = run()
      .catch((err: unknown) => {
        this.warn(`could not prune the share access trail: ${(err as Error).message}`);
        return 0;
      })
      .finally(() => {
        this.pruning = null;
      });
    return this.pruning;
  }

  /** Stops the timers and writes what is left (one attempt); events recorded afterwards are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.flushTimer = this.pruneTimer = null;
    await this.pruning;
    this.lastWarn = 0;
    await this.flush();
    const left = this.ring.size;
    if (left > 0 || this.counts.size > 0) {
      this.logger.warn(`share access trail: ${left} events could not be written before shutdown`);
    }
    this.store = null;
  }
}
