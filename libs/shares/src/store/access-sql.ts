import type { AccessCountDelta, AccessEventRecord, ShareAccessSummary } from '../trail/share-access-record';
import { countKey } from '../trail/share-access-record';

/** The columns of an event, in the order both stores insert them. */
export const EVENT_COLUMNS = 'share_id, at, kind, outcome, reason, child_id, client_address, user_agent';

/** A row of the newest-events query, as both stores read it (times in epoch ms). */
export interface AccessEventRow {
  at: number | string;
  kind: string;
  outcome: string;
  reason: string | null;
  child_id: string | null;
  client_address: string | null;
  user_agent: string | null;
}

export interface AccessCountRow {
  kind: string;
  outcome: string;
  count: number | string;
  first_at: number | string;
  last_at: number | string;
}

export interface AccessDayRow {
  day: number | string;
  kind: string;
  outcome: string;
  count: number | string;
}

export function toSummary(
  counts: AccessCountRow[],
  recent: AccessEventRow[],
  days: AccessDayRow[],
): ShareAccessSummary {
  return {
    days: days.map((d) => ({
      day: Number(d.day),
      kind: d.kind as AccessCountDelta['kind'],
      outcome: d.outcome as AccessCountDelta['outcome'],
      count: Number(d.count),
    })),
    counts: counts.map((c) => ({
      kind: c.kind as AccessCountDelta['kind'],
      outcome: c.outcome as AccessCountDelta['outcome'],
      count: Number(c.count),
      firstAt: Number(c.first_at),
      lastAt: Number(c.last_at),
    })),
    recent: recent.map((e) => ({
      at: Number(e.at),
      kind: e.kind as AccessEventRecord['kind'],
      outcome: e.outcome as AccessEventRecord['outcome'],
      reason: e.reason,
      childId: e.child_id,
      clientAddress: e.client_address,
      userAgent: e.user_agent,
    })),
  };
}

/**
 * The counts of child grants the trail already held (inserted before a restart or by another replica, so not
 * inserted again): one fewer each, per (share, outcome).
 */
export function takeBack(rejected: AccessEventRecord[]): { shareId: string; outcome: string; n: number }[] {
  const by = new Map<string, { shareId: string; outcome: string; n: number }>();
  for (const e of rejected) {
    const key = countKey(e.shareId, e.kind, e.outcome);
    const known = by.get(key);
    if (known) known.n++;
    else by.set(key, { shareId: e.shareId, outcome: e.outcome, n: 1 });
  }
  return [...by.values()];
}
