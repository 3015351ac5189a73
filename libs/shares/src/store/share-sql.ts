import type { Resource } from '@app/tokens';
import type { NewShare, RevokedEntry, ShareRecord } from '../share-record';

/**
 * The raw row of both stores: SQLite gives epoch milliseconds and Buffers (Uint8Arrays once they crossed from the
 * reader thread), PostgreSQL Dates, Buffers and BIGINTs as strings.
 */
export interface ShareRow {
  pk: number | string;
  id: string;
  token_hash: Uint8Array;
  type: string;
  resources: string;
  creator_kind: string | null;
  creator_name: string | null;
  creator_user_id: string | null;
  created_at: number | Date | null;
  expires_at: number | Date | null;
  revoked_at: number | Date | null;
  revoked_by: string | null;
}

function toDate(v: number | Date | null): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(Number(v));
}

export function toMs(v: number | Date | null): number | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.getTime() : Number(v);
}

/** A token hash as stored (32 bytes) from its hex spelling, and back. */
export const hashBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');
export const hashHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export function rowToRecord(row: ShareRow): ShareRecord {
  return {
    id: row.id,
    tokenHash: hashHex(row.token_hash),
    type: row.type,
    resources: JSON.parse(row.resources) as Resource[],
    creator: row.creator_kind
      ? { kind: row.creator_kind, name: row.creator_name ?? '', userId: row.creator_user_id }
      : null,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    revokedAt: toDate(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}

export interface RevokedRow {
  id: string;
  token_hash: Uint8Array;
  revoked_seq: number | string;
  expires_at: number | Date | null;
}

export function revokedRowToEntry(r: RevokedRow): RevokedEntry {
  return { id: r.id, tokenHash: hashHex(r.token_hash), seq: Number(r.revoked_seq), expiresAt: toMs(r.expires_at) };
}

/** The columns of a listed share: `shares s` with its creator `c` (JOIN_CREATORS). */
export const SELECT_COLUMNS =
  's.pk, s.id, s.token_hash, s.type, s.resources, c.kind AS creator_kind, c.name AS creator_name, ' +
  'c.user_id AS creator_user_id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by';
export const JOIN_CREATORS = 'LEFT JOIN share_creators c ON c.id = s.creator_id';

/** The columns of a new share, with `creator_id` already resolved; dates as the store wants them. */
export const INSERT_COLUMNS = 'id, token_hash, type, resources, creator_id, created_at, expires_at';
export function insertValues<D>(share: NewShare, creatorId: number | null, date: (d: Date | null) => D): unknown[] {
  return [
    share.id,
    hashBytes(share.tokenHash),
    share.type,
    JSON.stringify(share.resources),
    creatorId,
    date(share.createdAt),
    date(share.expiresAt),
  ];
}

/** The searchable identifiers of a share's resources (one share_resources row each, numbered from 0). */
export function resourceKeys(share: NewShare): { dicomUid: string | null; orthancId: string | null }[] {
  return share.resources
    .filter((r) => r.dicomUid || r.orthancId)
    .map((r) => ({ dicomUid: r.dicomUid || null, orthancId: r.orthancId || null }));
}

/** The key under which a store remembers a creator's row id (creators are never changed once recorded). */
export function creatorKey(c: NonNullable<NewShare['creator']>): string {
  return JSON.stringify([c.kind, c.name, c.userId ?? null]);
}

/** The revocations after a sequence number, of shares not expired at a time: read from one covering index. */
export function revokedSinceSql(p: (i: number) => string): string {
  return `SELECT id, token_hash, revoked_seq, expires_at FROM shares
    WHERE revoked_seq > ${p(1)} AND (expires_at IS NULL OR expires_at > ${p(2)})
    ORDER BY revoked_seq LIMIT ${p(3)}`;
}
