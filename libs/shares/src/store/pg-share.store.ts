import { Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import type { NewShare, RevokedEntry, SharePage, ShareQuery, ShareRecord } from '../share-record';
import type { ShareStore } from './share-store';
import {
  INSERT_COLUMNS,
  insertValues,
  LIST_ORDER,
  listWhere,
  resourceKeys,
  rowToRecord,
  SELECT_COLUMNS,
  ShareRow,
} from './share-sql';

/** Where a revocation is announced to the other replicas (payload: the share id and token hash, as JSON). */
export const REVOCATION_CHANNEL = 'orthanc_auth_revoked';
/** Every statement is bounded: the database may hang, the service must not. */
export const PG_TIMEOUT_MS = 5000;
/** Serialises concurrent migrations of replicas starting together (pg_advisory_xact_lock key). */
const MIGRATION_LOCK = 0x0a7a5e;

const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'shares',
    sql: `
      CREATE SEQUENCE shares_revoked_seq;
      CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        resources TEXT NOT NULL,
        creator_kind TEXT,
        creator_name TEXT,
        creator_user_id TEXT,
        created_at TIMESTAMPTZ,
        expires_at TIMESTAMPTZ,
        revoked_at TIMESTAMPTZ,
        revoked_by TEXT,
        revoked_seq BIGINT UNIQUE
      );
      CREATE INDEX shares_order ON shares ((COALESCE(created_at, revoked_at)));
      CREATE INDEX shares_creator_name ON shares (creator_name);
      CREATE INDEX shares_creator_user_id ON shares (creator_user_id);
      CREATE TABLE share_resources (
        share_id TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
        dicom_uid TEXT,
        orthanc_id TEXT
      );
      CREATE INDEX share_resources_share_id ON share_resources (share_id);
      CREATE INDEX share_resources_dicom_uid ON share_resources (dicom_uid);
      CREATE INDEX share_resources_orthanc_id ON share_resources (orthanc_id);
    `,
  },
];

const RETURNING =
  'id, token_hash, type, resources, creator_kind, creator_name, creator_user_id, created_at, expires_at, revoked_at, revoked_by';

export function pgPoolOptions(url: string) {
  return {
    connectionString: url,
    max: 5,
    connectionTimeoutMillis: PG_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    statement_timeout: PG_TIMEOUT_MS,
    query_timeout: PG_TIMEOUT_MS + 1000,
    application_name: 'orthanc-auth',
  };
}

/** The replicated store: a small pool, every query bounded by a timeout; revocations are announced with NOTIFY. */
export class PgShareStore implements ShareStore {
  readonly kind = 'postgres' as const;
  private readonly logger = new Logger(PgShareStore.name);
  readonly pool: Pool;

  constructor(readonly url: string) {
    this.pool = new Pool(pgPoolOptions(url));
    // An idle client losing its connection emits here; unhandled, it would kill the process.
    this.pool.on('error', (err) => this.logger.warn(`PostgreSQL idle connection lost: ${err.message}`));
  }

  private async inTransaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async migrate(): Promise<void> {
    await this.inTransaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { rows } = await c.query<{ v: number }>(
        'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations',
      );
      for (const m of MIGRATIONS) {
        if (m.version <= rows[0].v) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations',
    );
    return rows[0].v;
  }

  private async insertWith(c: PoolClient, share: NewShare): Promise<void> {
    const res = await c.query(
      `INSERT INTO shares (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      insertValues(share, (d) => d),
    );
    if (res.rowCount === 0) return;
    for (const k of resourceKeys(share)) {
      await c.query('INSERT INTO share_resources (share_id, dicom_uid, orthanc_id) VALUES ($1, $2, $3)', [
        share.id,
        k.dicomUid,
        k.orthancId,
      ]);
    }
  }

  async insert(share: NewShare): Promise<void> {
    await this.inTransaction((c) => this.insertWith(c, share));
  }

  async get(id: string): Promise<ShareRecord | null> {
    const { rows } = await this.pool.query<ShareRow>(`SELECT ${SELECT_COLUMNS} FROM shares s WHERE s.id = $1`, [id]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async findByTokenHash(tokenHash: string): Promise<ShareRecord | null> {
    const { rows } = await this.pool.query<ShareRow>(`SELECT ${SELECT_COLUMNS} FROM shares s WHERE s.token_hash = $1`, [
      tokenHash,
    ]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async list(query: ShareQuery, now: Date): Promise<SharePage> {
    const { where, params } = listWhere(query, now, (i) => `$${i}`);
    const count = await this.pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM shares s ${where}`, params);
    const { rows } = await this.pool.query<ShareRow>(
      `SELECT ${SELECT_COLUMNS} FROM shares s ${where} ${LIST_ORDER} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, query.limit, query.offset],
    );
    return { total: count.rows[0].n, shares: rows.map(rowToRecord) };
  }

  /** One statement: the update and its NOTIFY commit together (NOTIFY is delivered at commit). */
  private async revokeWith(c: Pool | PoolClient, id: string, by: string, at: Date): Promise<ShareRecord | null> {
    await c.query(
      `WITH r AS (
         UPDATE shares SET revoked_at = $2, revoked_by = $3, revoked_seq = nextval('shares_revoked_seq')
         WHERE id = $1 AND revoked_at IS NULL RETURNING id, token_hash)
       SELECT pg_notify('${REVOCATION_CHANNEL}', json_build_object('id', r.id, 'tokenHash', r.token_hash)::text) FROM r`,
      [id, at, by],
    );
    const { rows } = await c.query<ShareRow>(`SELECT ${RETURNING} FROM shares WHERE id = $1`, [id]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async revoke(id: string, by: string, at: Date): Promise<ShareRecord | null> {
    return this.revokeWith(this.pool, id, by, at);
  }

  async insertRevoked(share: NewShare, by: string, at: Date): Promise<ShareRecord> {
    return this.inTransaction(async (c) => {
      await this.insertWith(c, share);
      return (await this.revokeWith(c, share.id, by, at))!;
    });
  }

  async revokedSince(afterSeq: number, now: Date): Promise<RevokedEntry[]> {
    const { rows } = await this.pool.query<{ id: string; token_hash: string; revoked_seq: string }>(
      `SELECT id, token_hash, revoked_seq FROM shares
       WHERE revoked_seq > $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY revoked_seq`,
      [afterSeq, now],
    );
    return rows.map((r) => ({ id: r.id, tokenHash: r.token_hash, seq: Number(r.revoked_seq) }));
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}
