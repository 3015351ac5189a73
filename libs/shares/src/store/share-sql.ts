import type { Level, Resource } from '@app/tokens';
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

/** One row of share_resources: a share's resources, in order, are its rows by position. */
export interface ResourceRow {
  share_pk: number | string;
  position: number;
  level: string;
  dicom_uid: string | null;
  orthanc_id: string | null;
  url: string | null;
}

/** The resources of the shares `pks`, in order (one statement; `p` spells the i-th placeholder). */
export function resourcesSql(p: (i: number) => string, count: number): string {
  const list = Array.from({ length: count }, (_, i) => p(i + 1)).join(', ');
  return `SELECT share_pk, position, level, dicom_uid, orthanc_id, url FROM share_resources
    WHERE share_pk IN (${list}) ORDER BY share_pk, position`;
}

/** The records of share rows, given the resource rows of those shares. */
export function toRecords(rows: ShareRow[], resources: ResourceRow[]): ShareRecord[] {
  const byShare = new Map<string, Resource[]>();
  for (const r of resources) {
    const key = String(r.share_pk);
    let list = byShare.get(key);
    if (!list) byShare.set(key, (list = []));
    list.push({ dicomUid: r.dicom_uid, orthancId: r.orthanc_id, url: r.url, level: r.level as Level });
  }
  return rows.map((row) => rowToRecord(row, byShare.get(String(row.pk)) ?? []));
}

/** Reads the resources of `rows` with `run` and answers their records. */
export async function withResources(
  rows: ShareRow[],
  p: (i: number) => string,
  run: (sql: string, params: unknown[]) => Promise<ResourceRow[]>,
): Promise<ShareRecord[]> {
  if (!rows.length) return [];
  return toRecords(
    rows,
    await run(
      resourcesSql(p, rows.length),
      rows.map((r) => r.pk),
    ),
  );
}

function rowToRecord(row: ShareRow, resources: Resource[]): ShareRecord {
  return {
    id: row.id,
    tokenHash: hashHex(row.token_hash),
    type: row.type,
    resources,
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
  's.pk, s.id, s.token_hash, s.type, c.kind AS creator_kind, c.name AS creator_name, ' +
  'c.user_id AS creator_user_id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by';
export const JOIN_CREATORS = 'LEFT JOIN share_creators c ON c.id = s.creator_id';

/** The columns of a new share, with `creator_id` already resolved; dates as the store wants them. */
export const INSERT_COLUMNS = 'id, token_hash, type, creator_id, created_at, expires_at';
export function insertValues<D>(share: NewShare, creatorId: number | null, date: (d: Date | null) => D): unknown[] {
  return [share.id, hashBytes(share.tokenHash), share.type, creatorId, date(share.createdAt), date(share.expiresAt)];
}

/** A share's resources as share_resources rows (without share_pk): position, level, dicom_uid, orthanc_id, url. */
export const RESOURCE_COLUMNS = 'share_pk, position, level, dicom_uid, orthanc_id, url';
export function resourceValues(share: NewShare): [number, string, string | null, string | null, string | null][] {
  return share.resources.map((r, i) => [i, r.level, r.dicomUid ?? null, r.orthancId ?? null, r.url ?? null]);
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
