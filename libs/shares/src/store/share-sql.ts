import type { Resource } from '@app/tokens';
import type { NewShare, ShareQuery, ShareRecord } from '../share-record';

/** The raw row of both stores (SQLite gives epoch milliseconds, PostgreSQL gives Dates for the same columns). */
export interface ShareRow {
  id: string;
  token_hash: string;
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

export function rowToRecord(row: ShareRow): ShareRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
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

/** The column values of a new share, in INSERT_COLUMNS order (dates as the store wants them). */
export function insertValues<D>(share: NewShare, date: (d: Date | null) => D): unknown[] {
  return [
    share.id,
    share.tokenHash,
    share.type,
    JSON.stringify(share.resources),
    share.creator?.kind ?? null,
    share.creator?.name ?? null,
    share.creator?.userId ?? null,
    date(share.createdAt),
    date(share.expiresAt),
  ];
}

export const INSERT_COLUMNS =
  'id, token_hash, type, resources, creator_kind, creator_name, creator_user_id, created_at, expires_at';
export const SELECT_COLUMNS =
  's.id, s.token_hash, s.type, s.resources, s.creator_kind, s.creator_name, s.creator_user_id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by';

/** The searchable identifiers of a share's resources (one row each in share_resources). */
export function resourceKeys(share: NewShare): { dicomUid: string | null; orthancId: string | null }[] {
  return share.resources
    .filter((r) => r.dicomUid || r.orthancId)
    .map((r) => ({ dicomUid: r.dicomUid || null, orthancId: r.orthancId || null }));
}

/**
 * WHERE clause and parameters of a list query; `p(i)` spells the i-th placeholder of the store (`?` or `$i`), `now`
 * is already in the store's date representation.
 */
export function listWhere(q: ShareQuery, now: unknown, p: (i: number) => string): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (v: unknown) => {
    params.push(v);
    return p(params.length);
  };
  if (q.study !== undefined)
    clauses.push(`EXISTS (SELECT 1 FROM share_resources r WHERE r.share_id = s.id AND r.dicom_uid = ${add(q.study)})`);
  if (q.orthancId !== undefined)
    clauses.push(
      `EXISTS (SELECT 1 FROM share_resources r WHERE r.share_id = s.id AND r.orthanc_id = ${add(q.orthancId)})`,
    );
  if (q.type !== undefined) clauses.push(`s.type = ${add(q.type)}`);
  if (q.creator !== undefined) {
    const c = add(q.creator);
    clauses.push(`(s.creator_name = ${c} OR s.creator_user_id = ${c})`);
  }
  if (q.ownerUserId !== undefined) clauses.push(`s.creator_user_id = ${add(q.ownerUserId)}`);
  if (q.active !== undefined) {
    const n = add(now);
    const active = `(s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ${n}))`;
    clauses.push(q.active ? active : `NOT ${active}`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export const LIST_ORDER = 'ORDER BY COALESCE(s.created_at, s.revoked_at) DESC, s.id ASC';
