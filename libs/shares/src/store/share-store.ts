import type { AccessTrailStore } from '../trail/share-access-record';
import type { UnlockCounter } from './counter-sql';
import type {
  NewShare,
  ProtectionChange,
  ProtectionState,
  RevokedEntry,
  SharePage,
  ShareQuery,
  ShareRecord,
} from '../share-record';

/** A chunk of revocations, and the sequence number up to which it accounts for every one. */
export interface RevocationChunk {
  entries: RevokedEntry[];
  /**
   * Every revocation of an unexpired share numbered up to here is in `entries` or was before `afterSeq`: where the
   * next read starts. Past the last unexpired one, so that expired revocations are not read again and again.
   */
  through: number;
}

/** Where shares are kept: SQLite (embedded, one host) or PostgreSQL (replicas). Both run their own migrations. */
export interface ShareStore extends AccessTrailStore {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  insert(share: NewShare): Promise<void>;
  get(id: string): Promise<ShareRecord | null>;
  findByTokenHash(tokenHash: string): Promise<ShareRecord | null>;
  /** One page, newest first, in bounded time whatever the registry's size (see share-list.ts). */
  list(query: ShareQuery, now: Date): Promise<SharePage>;
  /** Marks the share revoked unless it already is (idempotent); null when the id is unknown. */
  revoke(id: string, by: string, at: Date): Promise<ShareRecord | null>;
  /** Inserts the row (a `hash:` id) if absent, then revokes it. */
  insertRevoked(share: NewShare, by: string, at: Date): Promise<ShareRecord>;
  /** Up to `limit` revocations after `afterSeq`, of shares not expired at `now`, in revocation order. */
  revocationsAfter(afterSeq: number, now: Date, limit: number): Promise<RevocationChunk>;
  /** The protection of a protected link (null for any other share). */
  getProtection(id: string): Promise<ProtectionState | null>;
  /**
   * Reads the protection and writes what `change` answers (null: nothing), atomically: one transaction holding the
   * row, so that replicas counting failures or codes on the same share never lose one. Answers the state written.
   */
  updateProtection(
    id: string,
    change: (current: ProtectionState) => ProtectionChange | null,
  ): Promise<ProtectionState | null>;
  /** The unlock counters named (absent ones are not in the map): a read, no lock. */
  readCounters(keys: string[]): Promise<Map<string, UnlockCounter>>;
  /**
   * Reads the counters named and writes those `decide` answers, atomically: SQLite's IMMEDIATE transaction, or
   * PostgreSQL advisory locks on each key (taken in key order, so two callers never deadlock). Answers its result.
   */
  updateCounters<T>(
    keys: string[],
    decide: (current: Map<string, UnlockCounter>) => { write: UnlockCounter[]; result: T },
  ): Promise<T>;
  /** Deletes the counters older than `stale` (the addresses that opened a link: older than `known`). */
  pruneCounters(stale: Date, known: Date, now: Date): Promise<number>;
  close(): Promise<void>;
}

export const LIST_LIMIT_MAX = 500;
