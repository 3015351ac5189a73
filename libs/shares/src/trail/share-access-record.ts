import type { ShareAccessKind, ShareAccessOutcome } from './share-access-event';

/**
 * The longest strings the trail keeps (UTF-16 code units): what a client sends is cut, never refused, so that a
 * hostile User-Agent costs the registry at most this much per event.
 */
export const ACCESS_FIELD_MAX = { userAgent: 256, clientAddress: 64, reason: 64, childId: 128 } as const;
/** A share id longer than this is no share id of the registry (a uuid, or `hash:` and 64 hex digits): ignored. */
export const SHARE_ID_MAX = 128;

/** An event as the store keeps it: bounded strings, time in epoch milliseconds. */
export interface AccessEventRecord {
  shareId: string;
  at: number;
  kind: ShareAccessKind;
  outcome: ShareAccessOutcome;
  reason: string | null;
  childId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

/** What a batch adds to a share's count of one kind and outcome, and the span of those events. */
export interface AccessCountDelta {
  shareId: string;
  kind: ShareAccessKind;
  outcome: ShareAccessOutcome;
  count: number;
  firstAt: number;
  lastAt: number;
}

/** A share's events of one kind and outcome on one UTC day (days since 1970-01-01). */
export interface AccessDayDelta {
  shareId: string;
  day: number;
  kind: ShareAccessKind;
  outcome: ShareAccessOutcome;
  count: number;
}

/**
 * One write, in one transaction: the events (a bounded number), the counts and daily counts accumulated since the
 * last write. After it, a share keeps its newest `keepPerShare` events at most.
 */
export interface AccessBatch {
  events: AccessEventRecord[];
  counts: AccessCountDelta[];
  days: AccessDayDelta[];
  keepPerShare: number;
}

/** What the store answers for one share: every count, the daily counts since `since`, the newest events first. */
export interface ShareAccessSummary {
  counts: Omit<AccessCountDelta, 'shareId'>[];
  days: Omit<AccessDayDelta, 'shareId'>[];
  recent: Omit<AccessEventRecord, 'shareId'>[];
}

/** Where the trail is written: both share stores implement it. */
export interface AccessTrailStore {
  /**
   * In one transaction: inserts the events and adds the counts. A child-grant whose child id the trail already holds
   * (recorded before a restart, or by another replica) is not inserted again, and its count is taken back.
   */
  writeAccess(batch: AccessBatch): Promise<void>;
  /** Deletes up to `limit` events (and daily counts) older than `before`; answers how many events it deleted. */
  pruneAccess(before: Date, limit: number): Promise<number>;
  /** The counts of the share and its `recent` newest events not older than `since`. */
  accessOf(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary>;
}

/** The key of a count in memory and in a batch. */
export const countKey = (shareId: string, kind: string, outcome: string): string => `${shareId}\n${kind}\n${outcome}`;

/** A UTC day as the daily counts number it: days since 1970-01-01. */
export const dayOf = (ms: number): number => Math.floor(ms / 86_400_000);
