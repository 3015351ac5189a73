import { Logger } from '@nestjs/common';
import { Client, Pool, PoolClient } from 'pg';
import type { AccessBatch, ShareAccessSummary } from '../trail/share-access-record';
import type { NewShare, ProtectionChange, ProtectionState, SharePage, ShareQuery, ShareRecord } from '../share-record';
import { PgAccessTrail } from './pg-access';
import { PG_MIGRATIONS } from './pg-migrations';
import {
  COUNTER_PRUNE_SQL,
  COUNTER_UPSERT_SQL,
  counterSelectSql,
  CounterRow,
  counterValues,
  rowToCounter,
  UnlockCounter,
} from './counter-sql';
import type { RevocationChunk, ShareStore } from './share-store';
import { creatorIdsOf, LIST_BUDGETS, ListBudgets, listShares, ListDialect } from './share-list';
import {
  creatorKey,
  hashBytes,
  INSERT_COLUMNS,
  insertValues,
  JOIN_CREATORS,
  applyProtectionChange,
  LANGUAGE_INSERT_SQL,
  PROTECTION_INSERT_SQL,
  PROTECTION_UPDATE_SQL,
  protectionInsertValues,
  ProtectionRow,
  protectionSelectSql,
  protectionUpdateValues,
  rowToProtection,
  RESOURCE_COLUMNS,
  resourceValues,
  revokedRowToEntry,
  RevokedRow,
  revokedSinceSql,
  rowToRecord,
  selectColumns,
  ShareRow,
  throughOf,
  TOP_SEQ_SQL,
} from './share-sql';

/**
 * Where a revocation is announced to the other replicas. Payload: JSON `{id, tokenHash, expiresAt}` (expiresAt in
 * epoch ms or null; replicas of an earlier version send no expiresAt).
 */
export const REVOCATION_CHANNEL = 'orthanc_auth_revoked';
/** Every statement is bounded: the database may hang, the service must not. */
export const PG_TIMEOUT_MS = 5000;
/** Serialises concurrent migrations of replicas starting together (pg_advisory_xact_lock key). */
const MIGRATION_LOCK = 0x0a7a5e;
/**
 * Serialises revocations (pg_advisory_xact_lock key), so that revocation sequence numbers are committed in order: a
 * replica that has read revocation N has also read every revocation below N, and resyncs from N alone.
 */
export const REVOCATION_LOCK = 0x0a7a5f;
const COLUMNS = selectColumns('postgres');

function pgPoolOptions(url: string) {
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
  private readonly creators = new Map<string, number>();
  private readonly dialect: ListDialect;
  private readonly trail: PgAccessTrail;

  constructor(
    readonly url: string,
    private readonly budgets: ListBudgets = LIST_BUDGETS,
  ) {
    this.pool = new Pool(pgPoolOptions(url));
    // An idle client losing its connection emits here; unhandled, it would kill the process.
    this.pool.on('error', (err) => this.logger.warn(`PostgreSQL idle connection lost: ${err.message}`));
    this.dialect = {
      kind: 'postgres',
      param: (i) => `$${i}`,
      time: (d) => d,
      rows: async <T>(sql: string, params: unknown[]) => (await this.pool.query(sql, params)).rows as T[],
    };
    this.trail = new PgAccessTrail(this.pool, (fn) => this.inTransaction(fn));
  }

  writeAccess(batch: AccessBatch): Promise<void> {
    return this.trail.write(batch);
  }

  pruneAccess(before: Date, limit: number): Promise<number> {
    return this.trail.pruneBefore(before, limit);
  }

  accessOf(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary> {
    return this.trail.of(shareId, recent, since);
  }

  private async inTransaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A connection lost while the client is checked out (between two queries) is emitted on the client, not on the
    // pool: unheard, it would end the process. The query in flight fails with it anyway; a client that lost its
    // connection is discarded, not returned to the pool.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
      this.logger.warn(`PostgreSQL connection lost during a transaction: ${err.message}`);
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  /**
   * On a connection of its own without the pool's timeouts: upgrading a large registry takes longer than any query
   * of the running service may, and so may waiting for another replica's migration.
   */
  async migrate(): Promise<void> {
    const c = new Client({
      connectionString: this.url,
      connectionTimeoutMillis: PG_TIMEOUT_MS,
      application_name: 'orthanc-auth-migrate',
    });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query('SET LOCAL statement_timeout = 0');
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      // Each step not recorded yet, in order (not only those above the highest): steps numbered on branches merged in
      // another order (3 landing after 4) are applied all the same.
      const { rows } = await c.query<{ v: number }>('SELECT version AS v FROM schema_migrations');
      // node-postgres answers bigint/numeric columns as strings, whatever the row type says.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
      const applied = new Set(rows.map((r) => Number(r.v)));
      const current = applied.size;
      let compact = false;
      for (const m of PG_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        const started = Date.now();
        if (current > 0) this.logger.log(`migrating the share registry to schema ${m.version} (${m.name})`);
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        compact ||= m.compact === true;
        if (current > 0) this.logger.log(`share registry at schema ${m.version} after ${Date.now() - started} ms`);
      }
      await c.query('COMMIT');
      // Rebuilt tables: their visibility map, for index-only scans from the first query (autovacuum would get there
      // later). Outside the transaction, as VACUUM must be.
      if (compact && current > 0) {
        const started = Date.now();
        await c.query('VACUUM (ANALYZE) shares, share_resources, share_creators').then(
          () => this.logger.log(`share registry vacuumed after the upgrade in ${Date.now() - started} ms`),
          // The registry is upgraded and sound; autovacuum will do it.
          (err: unknown) =>
            this.logger.warn(`could not vacuum the share registry after the upgrade: ${(err as Error).message}`),
        );
      }
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations',
    );
    return rows[0].v;
  }

  /** The creator's row id, recording it on first sight (creators are never changed: the id is remembered). */
  private async creatorId(c: PoolClient, share: NewShare): Promise<number | null> {
    const creator = share.creator;
    if (!creator) return null;
    const key = creatorKey(creator);
    const known = this.creators.get(key);
    if (known !== undefined) return known;
    const values = [creator.kind, creator.name, creator.userId ?? null];
    await c.query(
      'INSERT INTO share_creators (kind, name, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      values,
    );
    const { rows } = await c.query<{ id: number }>(
      "SELECT id FROM share_creators WHERE kind = $1 AND name = $2 AND COALESCE(user_id, '') = COALESCE($3, '')",
      values,
    );
    this.creators.set(key, rows[0].id);
    return rows[0].id;
  }

  private async insertWith(c: PoolClient, share: NewShare): Promise<void> {
    const res = await c.query<{ pk: string }>(
      `INSERT INTO shares (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING pk`,
      insertValues(share, await this.creatorId(c, share), (d) => d),
    );
    if (res.rowCount === 0) return;
    const pk = res.rows[0].pk;
    const rows = resourceValues(share);
    if (rows.length) {
      const column = (i: number) => rows.map((r) => r[i]);
      await c.query(
        `INSERT INTO share_resources (${RESOURCE_COLUMNS})
         SELECT $1, * FROM unnest($2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [pk, column(0), column(1), column(2), column(3), column(4)],
      );
    }
    if (share.parentId) {
      await c.query('UPDATE shares SET parent_pk = (SELECT pk FROM shares WHERE id = $1) WHERE pk = $2', [
        share.parentId,
        pk,
      ]);
    }
    if (share.protection) {
      await c.query(
        PROTECTION_INSERT_SQL((i) => `$${i}`),
        [pk, ...protectionInsertValues(share)],
      );
      const language = share.protection.language;
      if (language)
        await c.query(
          LANGUAGE_INSERT_SQL((i) => `$${i}`),
          [share.id, language],
        );
    }
  }

  async insert(share: NewShare): Promise<void> {
    await this.inTransaction((c) => this.insertWith(c, share));
  }

  /** One share, on the pool or on a transaction's client. */
  private async one(where: string, value: unknown, c: Pool | PoolClient = this.pool): Promise<ShareRecord | null> {
    const { rows } = await c.query<ShareRow>(`SELECT ${COLUMNS} FROM shares s ${JOIN_CREATORS} WHERE ${where}`, [
      value,
    ]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  get(id: string): Promise<ShareRecord | null> {
    return this.one('s.id = $1', id);
  }

  findByTokenHash(tokenHash: string): Promise<ShareRecord | null> {
    return this.one('s.token_hash = $1', hashBytes(tokenHash));
  }

  async list(query: ShareQuery, now: Date): Promise<SharePage> {
    const creatorIds = await creatorIdsOf(
      query,
      async (sql, params) => (await this.pool.query<{ id: number }>(sql, params)).rows,
      (i) => `$${i}`,
    );
    return listShares(this.dialect, { query, now, creatorIds, budgets: this.budgets });
  }

  /**
   * A transaction that revokes: the revocation lock first (the only lock it waits for while holding others), so that
   * sequence numbers are committed in the order they are taken.
   */
  private revoking<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.inTransaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [REVOCATION_LOCK]);
      return fn(c);
    });
  }

  /** In a revoking() transaction: the update and its NOTIFY commit together (NOTIFY is delivered at commit). */
  private async revokeWith(c: PoolClient, id: string, by: string, at: Date): Promise<ShareRecord | null> {
    await c.query(
      `WITH r AS (
         UPDATE shares SET revoked_at = $2, revoked_by = $3, revoked_seq = nextval('shares_revoked_seq')
         WHERE id = $1 AND revoked_at IS NULL RETURNING id, token_hash, expires_at)
       SELECT pg_notify('${REVOCATION_CHANNEL}', json_build_object('id', r.id, 'tokenHash', encode(r.token_hash, 'hex'),
         'expiresAt', (extract(epoch FROM r.expires_at) * 1000)::bigint)::text) FROM r`,
      [id, at, by],
    );
    return this.one('s.id = $1', id, c);
  }

  revoke(id: string, by: string, at: Date): Promise<ShareRecord | null> {
    return this.revoking((c) => this.revokeWith(c, id, by, at));
  }

  insertRevoked(share: NewShare, by: string, at: Date): Promise<ShareRecord> {
    return this.revoking(async (c) => {
      await this.insertWith(c, share);
      return (await this.revokeWith(c, share.id, by, at))!;
    });
  }

  /** One statement: the highest sequence number is read in the same snapshot as the entries. */
  async revocationsAfter(afterSeq: number, now: Date, limit: number): Promise<RevocationChunk> {
    const { rows } = await this.pool.query<RevokedRow>({
      text: `WITH t AS (SELECT top::float8 AS top FROM (${TOP_SEQ_SQL}) AS m),
            r AS (${revokedSinceSql('postgres', (i) => `$${i}`)})
       SELECT r.*, t.top FROM t LEFT JOIN r ON true ORDER BY r.seq`,
      values: [afterSeq, now, limit],
      rowMode: 'array',
    });
    // The LEFT JOIN answers one row of nulls (with t.top) when nothing was revoked, whatever RevokedRow says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    const entries = rows.filter((r) => r[0] !== null).map(revokedRowToEntry);
    return { entries, through: throughOf(entries, limit, afterSeq, (rows[0]?.[4] as number | undefined) ?? null) };
  }

  async getProtection(id: string): Promise<ProtectionState | null> {
    const { rows } = await this.pool.query<ProtectionRow>(
      protectionSelectSql('postgres', (i) => `$${i}`),
      [id],
    );
    return rows[0] ? rowToProtection(rows[0]) : null;
  }

  /** SELECT ... FOR UPDATE: replicas counting failures or codes on the same share wait for each other. */
  updateProtection(
    id: string,
    change: (current: ProtectionState) => ProtectionChange | null,
  ): Promise<ProtectionState | null> {
    return this.inTransaction(async (c) => {
      const { rows } = await c.query<ProtectionRow>(
        protectionSelectSql('postgres', (i) => `$${i}`, true),
        [id],
      );
      if (!rows[0]) return null;
      const current = rowToProtection(rows[0]);
      const delta = change(current);
      if (!delta) return current;
      const next = applyProtectionChange(current, delta);
      await c.query(
        PROTECTION_UPDATE_SQL((i) => `$${i}`),
        protectionUpdateValues(rows[0].share_pk, next, (d) => d),
      );
      return next;
    });
  }

  async readCounters(keys: string[]): Promise<Map<string, UnlockCounter>> {
    const { rows } = await this.pool.query<CounterRow>(
      counterSelectSql('postgres', (i) => `$${i}`),
      [keys],
    );
    return new Map(rows.map((r) => [r.key, rowToCounter(r)]));
  }

  /** An advisory lock per key, in key order (rows that do not exist yet are locked too), then read, decide, write. */
  updateCounters<T>(
    keys: string[],
    decide: (current: Map<string, UnlockCounter>) => { write: UnlockCounter[]; result: T },
  ): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    return this.inTransaction(async (c) => {
      await c.query(
        'SELECT pg_advisory_xact_lock(hashtextextended(k, 23)) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n',
        [sorted],
      );
      const { rows } = await c.query<CounterRow>(
        counterSelectSql('postgres', (i) => `$${i}`),
        [sorted],
      );
      const { write, result } = decide(new Map(rows.map((r) => [r.key, rowToCounter(r)])));
      for (const w of write)
        await c.query(
          COUNTER_UPSERT_SQL((i) => `$${i}`),
          counterValues(w, (d) => d),
        );
      return result;
    });
  }

  async pruneCounters(stale: Date, known: Date, now: Date): Promise<number> {
    const res = await this.pool.query(
      COUNTER_PRUNE_SQL((i) => `$${i}`),
      [known, stale, now],
    );
    return res.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}
