import type { NewShare, RevokedEntry, SharePage, ShareQuery, ShareRecord } from '../share-record';

/** Where shares are kept: SQLite (embedded, one host) or PostgreSQL (replicas). Both run their own migrations. */
export interface ShareStore {
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
  revokedSince(afterSeq: number, now: Date, limit: number): Promise<RevokedEntry[]>;
  close(): Promise<void>;
}

export const LIST_LIMIT_MAX = 500;
