import type { SqlKind } from './share-sql';

/**
 * One row of share_unlock_counters: a count within a window, keyed by what it counts (see protection/unlock-keys.ts),
 * and, for a pending one-time code, its expiry and HMAC. Every count that limits unlocking lives here, in the
 * registry, so that worker processes and replicas sharing it count together.
 */
export interface UnlockCounter {
  key: string;
  windowStart: Date;
  count: number;
  /** A pending code's expiry (the `c:` keys), null otherwise. */
  until: Date | null;
  /** A pending code's HMAC (hex), null otherwise. */
  secret: string | null;
}

export interface CounterRow {
  key: string;
  window_start: number | Date | string;
  count: number | string;
  until_at: number | Date | string | null;
  secret: string | null;
}

const date = (v: number | Date | string | null): Date | null =>
  v === null ? null : v instanceof Date ? v : new Date(Number(v));

export function rowToCounter(row: CounterRow): UnlockCounter {
  return {
    key: row.key,
    windowStart: date(row.window_start)!,
    count: Number(row.count),
    until: date(row.until_at),
    secret: row.secret,
  };
}

/** The counters named (missing ones are simply absent). SQLite takes the keys as a JSON array, PostgreSQL as text[]. */
export function counterSelectSql(kind: SqlKind, p: (i: number) => string): string {
  const keys = kind === 'sqlite' ? `(SELECT value FROM json_each(${p(1)}))` : `(SELECT unnest(${p(1)}::text[]))`;
  return `SELECT key, window_start, count, until_at, secret FROM share_unlock_counters WHERE key IN ${keys}`;
}

export const COUNTER_UPSERT_SQL = (p: (i: number) => string) =>
  `INSERT INTO share_unlock_counters (key, window_start, count, until_at, secret) ` +
  `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}) ON CONFLICT (key) DO UPDATE SET ` +
  `window_start = excluded.window_start, count = excluded.count, until_at = excluded.until_at, secret = excluded.secret`;

export function counterValues(c: UnlockCounter, at: (d: Date | null) => unknown): unknown[] {
  return [c.key, at(c.windowStart), c.count, at(c.until), c.secret];
}

/**
 * Counters nobody needs any more: windows started before `stale` (and no pending code after `now`); the addresses
 * that opened a link (`k:`) are kept until `known`.
 */
export const COUNTER_PRUNE_SQL = (p: (i: number) => string) =>
  `DELETE FROM share_unlock_counters WHERE ` +
  `(key LIKE 'k:%' AND window_start < ${p(1)}) OR ` +
  `(key NOT LIKE 'k:%' AND window_start < ${p(2)} AND (until_at IS NULL OR until_at < ${p(3)}))`;
