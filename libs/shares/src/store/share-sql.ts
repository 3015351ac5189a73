import type { Level } from '@app/tokens';
import type { NewShare, ProtectionChange, ProtectionState, RevokedEntry, ShareRecord } from '../share-record';

export type SqlKind = 'sqlite' | 'postgres';

/**
 * The raw row of both stores (SQLite gives epoch milliseconds, PostgreSQL Dates and BIGINTs as strings). The token
 * hash comes as hex and the resources as one JSON array of [level, dicom uid, Orthanc id, url]: strings, cheap to hand
 * over from SQLite's reader thread.
 */
export interface ShareRow {
  pk: number | string;
  id: string;
  token_hash: string;
  type: string;
  resources: string | null;
  creator_kind: string | null;
  creator_name: string | null;
  creator_user_id: string | null;
  created_at: number | Date | null;
  expires_at: number | Date | null;
  revoked_at: number | Date | null;
  revoked_by: string | null;
  parent_id?: string | null;
  parent_revoked_at?: number | Date | null;
}

function toDate(v: number | string | Date | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v : new Date(Number(v));
}

/** A token hash as stored (32 bytes) from its hex spelling. */
export const hashBytes = (hex: string): Buffer => Buffer.from(hex, 'hex');

export function rowToRecord(row: ShareRow): ShareRecord {
  const resources = JSON.parse(row.resources ?? '[]') as [string, string | null, string | null, string | null][];
  return {
    id: row.id,
    tokenHash: row.token_hash,
    type: row.type,
    resources: resources.map(([level, dicomUid, orthancId, url]) => ({
      dicomUid,
      orthancId,
      url,
      level: level as Level,
    })),
    creator: row.creator_kind
      ? { kind: row.creator_kind, name: row.creator_name ?? '', userId: row.creator_user_id }
      : null,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    revokedAt: toDate(row.revoked_at),
    revokedBy: row.revoked_by,
    parentId: row.parent_id ?? null,
    parentRevokedAt: toDate(row.parent_revoked_at ?? null),
  };
}

/** The columns of a listed share: `shares s` with its creator `c` (JOIN_CREATORS) and its resources, in order. */
export function selectColumns(kind: SqlKind): string {
  const hex = kind === 'sqlite' ? 'lower(hex(s.token_hash))' : "encode(s.token_hash, 'hex')";
  const resources =
    kind === 'sqlite'
      ? '(SELECT json_group_array(json_array(r.level, r.dicom_uid, r.orthanc_id, r.url) ORDER BY r.position) ' +
        'FROM share_resources r WHERE r.share_pk = s.pk)'
      : '(SELECT json_agg(json_build_array(r.level, r.dicom_uid, r.orthanc_id, r.url) ORDER BY r.position)::text ' +
        'FROM share_resources r WHERE r.share_pk = s.pk)';
  return (
    `s.pk, s.id, ${hex} AS token_hash, s.type, ${resources} AS resources, c.kind AS creator_kind, ` +
    'c.name AS creator_name, c.user_id AS creator_user_id, s.created_at, s.expires_at, s.revoked_at, s.revoked_by, ' +
    // A child token of a protected link: its parent (a point lookup by primary key, for children only).
    '(SELECT p.id FROM shares p WHERE p.pk = s.parent_pk) AS parent_id, ' +
    '(SELECT p.revoked_at FROM shares p WHERE p.pk = s.parent_pk) AS parent_revoked_at'
  );
}
export const JOIN_CREATORS = 'LEFT JOIN share_creators c ON c.id = s.creator_id';

/** The columns of a new share, with `creator_id` already resolved; dates as the store wants them. */
export const INSERT_COLUMNS = 'id, token_hash, type, creator_id, created_at, expires_at';
export function insertValues(share: NewShare, creatorId: number | null, date: (d: Date | null) => unknown): unknown[] {
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

/**
 * The revocations after a sequence number, of shares not expired at a time, read from one covering index: numbers,
 * the share id, and the token hash only where the set needs it (the rows of tokens revoked by hash), so that a full
 * reload allocates little.
 */
export function revokedSinceSql(kind: SqlKind, p: (i: number) => string): string {
  const columns =
    kind === 'sqlite'
      ? "id, CASE WHEN substr(id, 1, 5) = 'hash:' THEN lower(hex(token_hash)) END AS hash, revoked_seq AS seq, expires_at AS expires"
      : "id, CASE WHEN left(id, 5) = 'hash:' THEN encode(token_hash, 'hex') END AS hash, revoked_seq::float8 AS seq, " +
        '(extract(epoch FROM expires_at) * 1000)::float8 AS expires';
  return `SELECT ${columns} FROM shares
    WHERE revoked_seq > ${p(1)} AND (expires_at IS NULL OR expires_at > ${p(2)})
    ORDER BY revoked_seq LIMIT ${p(3)}`;
}

/** The highest revocation sequence number, expired shares included (from the covering index's end). */
export const TOP_SEQ_SQL = 'SELECT COALESCE(MAX(revoked_seq), 0) AS top FROM shares WHERE revoked_seq IS NOT NULL';

/** What a chunk of revocations accounts for: see ShareStore.revocationsAfter. */
export function throughOf(entries: RevokedEntry[], limit: number, afterSeq: number, top: number | null): number {
  if (entries.length === limit) return entries[entries.length - 1].seq;
  return Math.max(afterSeq, top ?? 0, entries.length ? entries[entries.length - 1].seq : 0);
}

/** A row of revokedSinceSql read as an array (no object per row): id, hash, seq, expires (then anything else). */
export type RevokedRow = [id: string, hash: string | null, seq: number, expires: number | null, ...rest: unknown[]];

export function revokedRowToEntry([id, hash, seq, expires]: RevokedRow): RevokedEntry {
  return { id, tokenHash: hash ?? '', seq, expiresAt: expires };
}

/** A share_protections row joined to its share's id (dates as the engine gives them, the code hash as hex). */
export interface ProtectionRow {
  share_pk: number | string;
  share_id: string;
  kind: 'password' | 'email-code';
  password_hash: string | null;
  emails: string | null;
  language?: string | null;
  failures: number;
  locked_until: number | Date | null;
  code_hash: string | null;
  code_expires_at: number | Date | null;
  code_window_start: number | Date | null;
  code_requests: number;
}

export function protectionSelectSql(kind: SqlKind, p: (i: number) => string, forUpdate = false): string {
  const hex = kind === 'sqlite' ? 'lower(hex(p.code_hash))' : "encode(p.code_hash, 'hex')";
  return (
    `SELECT p.share_pk, s.id AS share_id, p.kind, p.password_hash, p.emails, l.language, p.failures, p.locked_until, ` +
    `${hex} AS code_hash, p.code_expires_at, p.code_window_start, p.code_requests ` +
    `FROM share_protections p JOIN shares s ON s.pk = p.share_pk LEFT JOIN share_languages l ON l.share_id = s.id ` +
    `WHERE s.id = ${p(1)}` +
    (forUpdate ? ' FOR UPDATE OF p' : '')
  );
}

export function rowToProtection(row: ProtectionRow): ProtectionState {
  return {
    shareId: row.share_id,
    kind: row.kind,
    passwordHash: row.password_hash,
    emails: row.emails ? (JSON.parse(row.emails) as string[]) : [],
    language: row.language ?? null,
    // node-postgres answers bigint columns as strings, whatever the row type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    failures: Number(row.failures),
    lockedUntil: toDate(row.locked_until),
    codeHash: row.code_hash || null,
    codeExpiresAt: toDate(row.code_expires_at),
    codeWindowStart: toDate(row.code_window_start),
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    codeRequests: Number(row.code_requests),
  };
}

/** The protection of a new share, as share_protections values after share_pk: kind, password_hash, emails. */
export const PROTECTION_INSERT_SQL = (p: (i: number) => string) =>
  `INSERT INTO share_protections (share_pk, kind, password_hash, emails) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`;

export function protectionInsertValues(share: NewShare): unknown[] {
  const pr = share.protection!;
  return [pr.kind, pr.passwordHash, pr.emails.length ? JSON.stringify(pr.emails) : null];
}

/** The recipients' language of a new protected share, when given: (share id, language). */
export const LANGUAGE_INSERT_SQL = (p: (i: number) => string) =>
  `INSERT INTO share_languages (share_id, language) VALUES (${p(1)}, ${p(2)})`;

/** The state after a change, and the UPDATE that writes it (all mutable columns, whatever changed). */
export function applyProtectionChange(current: ProtectionState, change: ProtectionChange): ProtectionState {
  return { ...current, ...change };
}

export const PROTECTION_UPDATE_SQL = (p: (i: number) => string) =>
  `UPDATE share_protections SET failures = ${p(2)}, locked_until = ${p(3)}, code_hash = ${p(4)}, ` +
  `code_expires_at = ${p(5)}, code_window_start = ${p(6)}, code_requests = ${p(7)} WHERE share_pk = ${p(1)}`;

export function protectionUpdateValues<D>(pk: number | string, s: ProtectionState, date: (d: Date | null) => D) {
  return [
    pk,
    s.failures,
    date(s.lockedUntil),
    s.codeHash ? hashBytes(s.codeHash) : null,
    date(s.codeExpiresAt),
    date(s.codeWindowStart),
    s.codeRequests,
  ];
}
