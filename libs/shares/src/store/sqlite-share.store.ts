// The store implements the async ShareStore with better-sqlite3's synchronous calls; `async` turns their throws
// (SQLITE_BUSY, a constraint) into the rejections callers handle, so methods without an await stay async.
/* eslint-disable @typescript-eslint/require-await */
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessBatch, ShareAccessSummary } from '../trail/share-access-record';
import type { NewShare, ProtectionChange, ProtectionState, SharePage, ShareQuery, ShareRecord } from '../share-record';
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
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import {
  COUNTER_PRUNE_SQL,
  COUNTER_UPSERT_SQL,
  counterSelectSql,
  CounterRow,
  counterValues,
  rowToCounter,
  UnlockCounter,
} from './counter-sql';
import { SqliteAccessTrail } from './sqlite-access';
import { SqliteReader } from './sqlite-reader';

const BUSY_TIMEOUT_MS = 5000;
const ms = (d: Date | null) => (d ? d.getTime() : null);
const named = (params: unknown[]) => Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
const p = (i: number) => `@p${i}`;
const COLUMNS = selectColumns('sqlite');

/**
 * The embedded store: one SQLite file in WAL mode, so that the CLI can write while the service runs (the service
 * reads new revocations every second). better-sqlite3 is synchronous: writes (one share, one revocation: indexed,
 * microseconds) and the revocation reads (a covering index, a bounded chunk) run here, on the caller's thread; the
 * other reads (listings, lookups) run on a reader thread (SqliteReader), off the event loop.
 */
export class SqliteShareStore implements ShareStore {
  readonly kind = 'sqlite' as const;
  private readonly logger = new Logger(SqliteShareStore.name);
  private readonly db: Database.Database;
  private readonly reader: SqliteReader;
  private readonly creators = new Map<string, number>();
  private readonly dialect: ListDialect;
  /** Its writer thread is started on the first write (after migrate: its statements need the tables). */
  private trail: SqliteAccessTrail | null = null;

  constructor(
    readonly path: string,
    private readonly budgets: ListBudgets = LIST_BUDGETS,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    const created = !existsSync(path);
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    // Study identifiers and who shared them: readable by the service's user only (SQLite gives the -wal and -shm
    // files the database file's mode).
    if (created) chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.reader = new SqliteReader(path, BUSY_TIMEOUT_MS);
    this.dialect = {
      kind: 'sqlite',
      param: p,
      time: (d) => d.getTime(),
      rows: (sql, params) => this.reader.rows(sql, named(params)),
    };
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    let compact = false;
    let upgraded = false;
    const apply = this.db.transaction(() => {
      // Each step not recorded yet, in order (not only those above the highest): steps numbered on branches merged in
      // another order (3 landing after 4) are applied all the same.
      const applied = new Set(
        (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
      );
      upgraded = applied.size > 0;
      for (const m of SQLITE_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        const started = Date.now();
        if (upgraded) this.logger.log(`migrating the share registry to schema ${m.version} (${m.name})`);
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, Date.now());
        compact ||= m.compact === true;
        if (upgraded) this.logger.log(`share registry at schema ${m.version} after ${Date.now() - started} ms`);
      }
    });
    apply.immediate();
    // The tables of the previous schema left their pages free in the file (and its WAL holds the whole upgrade).
    // Both are set inside the transaction's callback above, which the narrowing does not follow.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (compact && upgraded) {
      const started = Date.now();
      try {
        this.db.exec('VACUUM');
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        this.logger.log(`share registry file compacted after the upgrade in ${Date.now() - started} ms`);
      } catch (err) {
        // The registry is upgraded and sound; only its file stays larger (its free pages serve new shares).
        this.logger.warn(`could not compact the share registry file: ${(err as Error).message}`);
      }
    }
  }

  private accessTrail(): SqliteAccessTrail {
    return (this.trail ??= new SqliteAccessTrail(this.path, BUSY_TIMEOUT_MS, (sql, params) =>
      this.dialect.rows(sql, params),
    ));
  }

  writeAccess(batch: AccessBatch): Promise<void> {
    return this.accessTrail().write(batch);
  }

  pruneAccess(before: Date, limit: number): Promise<number> {
    return this.accessTrail().pruneBefore(before, limit);
  }

  accessOf(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary> {
    return this.accessTrail().of(shareId, recent, since);
  }

  private schemaVersionSync(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  }

  async schemaVersion(): Promise<number> {
    return this.schemaVersionSync();
  }

  /** The creator's row id, recording it on first sight (inside the caller's transaction). */
  private creatorId(share: NewShare): number | null {
    const c = share.creator;
    if (!c) return null;
    const key = creatorKey(c);
    const known = this.creators.get(key);
    if (known !== undefined) return known;
    const values = [c.kind, c.name, c.userId ?? null];
    this.db
      .prepare('INSERT INTO share_creators (kind, name, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(...values);
    const row = this.db
      .prepare("SELECT id FROM share_creators WHERE kind = ? AND name = ? AND COALESCE(user_id, '') = COALESCE(?, '')")
      .get(...values) as { id: number };
    this.creators.set(key, row.id);
    return row.id;
  }

  private insertSync(share: NewShare): boolean {
    const res = this.db
      .prepare(`INSERT INTO shares (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(...insertValues(share, this.creatorId(share), ms));
    if (res.changes === 0) return false;
    const add = this.db.prepare(`INSERT INTO share_resources (${RESOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    for (const values of resourceValues(share)) add.run(res.lastInsertRowid, ...values);
    if (share.parentId) {
      this.db
        .prepare('UPDATE shares SET parent_pk = (SELECT pk FROM shares WHERE id = ?) WHERE pk = ?')
        .run(share.parentId, res.lastInsertRowid);
    }
    if (share.protection) {
      this.db.prepare(PROTECTION_INSERT_SQL(() => '?')).run(res.lastInsertRowid, ...protectionInsertValues(share));
      const language = share.protection.language;
      if (language) this.db.prepare(LANGUAGE_INSERT_SQL(() => '?')).run(share.id, language);
    }
    return true;
  }

  async insert(share: NewShare): Promise<void> {
    this.db.transaction(() => this.insertSync(share)).immediate();
  }

  /** On this connection: what a write just did, read back inside its transaction. */
  private getSync(id: string): ShareRecord | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM shares s ${JOIN_CREATORS} WHERE s.id = ?`).get(id) as
      ShareRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  private async one(where: string, value: unknown): Promise<ShareRecord | null> {
    const rows = await this.dialect.rows<ShareRow>(`SELECT ${COLUMNS} FROM shares s ${JOIN_CREATORS} WHERE ${where}`, [
      value,
    ]);
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  get(id: string): Promise<ShareRecord | null> {
    return this.one('s.id = @p1', id);
  }

  findByTokenHash(tokenHash: string): Promise<ShareRecord | null> {
    return this.one('s.token_hash = @p1', hashBytes(tokenHash));
  }

  private creatorIds(query: ShareQuery): Promise<number[] | null> {
    return creatorIdsOf(query, (sql, params) => this.dialect.rows<{ id: number }>(sql, params), p);
  }

  async list(query: ShareQuery, now: Date): Promise<SharePage> {
    return listShares(this.dialect, { query, now, creatorIds: await this.creatorIds(query), budgets: this.budgets });
  }

  private revokeSync(id: string, by: string, at: Date): ShareRecord | null {
    // The sequence is taken inside the write transaction: SQLite serialises writers, so it follows commit order
    // and a reader that remembers the last one it saw misses nothing.
    this.db
      .prepare(
        `
      UPDATE shares SET revoked_at = ?, revoked_by = ?,
        revoked_seq = (SELECT COALESCE(MAX(revoked_seq), 0) + 1 FROM shares WHERE revoked_seq IS NOT NULL)
      WHERE id = ? AND revoked_at IS NULL`,
      )
      .run(at.getTime(), by, id);
    return this.getSync(id);
  }

  async revoke(id: string, by: string, at: Date): Promise<ShareRecord | null> {
    return this.db.transaction(() => this.revokeSync(id, by, at)).immediate();
  }

  async insertRevoked(share: NewShare, by: string, at: Date): Promise<ShareRecord> {
    return this.db
      .transaction(() => {
        this.insertSync(share);
        return this.revokeSync(share.id, by, at)!;
      })
      .immediate();
  }

  /**
   * On this connection, not the reader thread: start-up needs no thread, and a poll (every second) is one probe of a
   * covering index, at most `limit` entries read from it. One read transaction: the highest sequence number is read
   * in the same snapshot as the entries.
   */
  async revocationsAfter(afterSeq: number, now: Date, limit: number): Promise<RevocationChunk> {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(revokedSinceSql('sqlite', p))
        .raw(true)
        .all({ p1: afterSeq, p2: now.getTime(), p3: limit }) as RevokedRow[];
      const entries = rows.map(revokedRowToEntry);
      const top = entries.length < limit ? (this.db.prepare(TOP_SEQ_SQL).get() as { top: number }).top : null;
      return { entries, through: throughOf(entries, limit, afterSeq, top) };
    })();
  }

  /** On this connection: a point lookup by a unique index (microseconds), read back after the writes of this process. */
  async getProtection(id: string): Promise<ProtectionState | null> {
    const row = this.db.prepare(protectionSelectSql('sqlite', p)).get({ p1: id }) as ProtectionRow | undefined;
    return row ? rowToProtection(row) : null;
  }

  /** An IMMEDIATE transaction: SQLite serialises writers, so two processes never count the same failure once. */
  async updateProtection(
    id: string,
    change: (current: ProtectionState) => ProtectionChange | null,
  ): Promise<ProtectionState | null> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare(protectionSelectSql('sqlite', p)).get({ p1: id }) as ProtectionRow | undefined;
        if (!row) return null;
        const current = rowToProtection(row);
        const delta = change(current);
        if (!delta) return current;
        const next = applyProtectionChange(current, delta);
        this.db.prepare(PROTECTION_UPDATE_SQL(p)).run(named(protectionUpdateValues(row.share_pk, next, ms)));
        return next;
      })
      .immediate();
  }

  async readCounters(keys: string[]): Promise<Map<string, UnlockCounter>> {
    const rows = this.db.prepare(counterSelectSql('sqlite', p)).all({ p1: JSON.stringify(keys) }) as CounterRow[];
    return new Map(rows.map((r) => [r.key, rowToCounter(r)]));
  }

  /** An IMMEDIATE transaction: SQLite serialises writers, processes included. */
  async updateCounters<T>(
    keys: string[],
    decide: (current: Map<string, UnlockCounter>) => { write: UnlockCounter[]; result: T },
  ): Promise<T> {
    return this.db
      .transaction(() => {
        const rows = this.db.prepare(counterSelectSql('sqlite', p)).all({ p1: JSON.stringify(keys) }) as CounterRow[];
        const { write, result } = decide(new Map(rows.map((r) => [r.key, rowToCounter(r)])));
        const upsert = this.db.prepare(COUNTER_UPSERT_SQL(p));
        for (const c of write) upsert.run(named(counterValues(c, ms)));
        return result;
      })
      .immediate();
  }

  async pruneCounters(stale: Date, known: Date, now: Date): Promise<number> {
    return this.db.prepare(COUNTER_PRUNE_SQL(p)).run(named([known.getTime(), stale.getTime(), now.getTime()])).changes;
  }

  async close(): Promise<void> {
    await this.trail?.close();
    await this.reader.close();
    if (this.db.open) this.db.close();
  }
}
