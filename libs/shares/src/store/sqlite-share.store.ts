import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** Schema versions, applied in order inside one IMMEDIATE transaction (so two processes never migrate twice). */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'shares',
    sql: `
      CREATE TABLE shares (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        resources TEXT NOT NULL,
        creator_kind TEXT,
        creator_name TEXT,
        creator_user_id TEXT,
        created_at INTEGER,
        expires_at INTEGER,
        revoked_at INTEGER,
        revoked_by TEXT,
        revoked_seq INTEGER UNIQUE
      );
      CREATE INDEX shares_order ON shares (COALESCE(created_at, revoked_at));
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

const ms = (d: Date | null) => (d ? d.getTime() : null);
const named = (params: unknown[]) => Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));

/**
 * The embedded store: one SQLite file in WAL mode, so that the CLI can write while the service runs (the service
 * reads new revocations every second). better-sqlite3 is synchronous; each statement takes microseconds.
 */
export class SqliteShareStore implements ShareStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const created = !existsSync(path);
    this.db = new Database(path, { timeout: 5000 });
    // Study identifiers and who shared them: readable by the service's user only (SQLite gives the -wal and -shm
    // files the database file's mode).
    if (created) chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const apply = this.db.transaction(() => {
      const row = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as {
        v: number;
      };
      for (const m of MIGRATIONS) {
        if (m.version <= row.v) continue;
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, Date.now());
      }
    });
    apply.immediate();
  }

  async schemaVersion(): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  }

  private insertSync(share: NewShare): boolean {
    const res = this.db
      .prepare(`INSERT INTO shares (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(...insertValues(share, ms));
    if (res.changes === 0) return false;
    const add = this.db.prepare('INSERT INTO share_resources (share_id, dicom_uid, orthanc_id) VALUES (?, ?, ?)');
    for (const k of resourceKeys(share)) add.run(share.id, k.dicomUid, k.orthancId);
    return true;
  }

  async insert(share: NewShare): Promise<void> {
    this.db.transaction(() => this.insertSync(share))();
  }

  private getSync(id: string): ShareRecord | null {
    const row = this.db.prepare(`SELECT ${SELECT_COLUMNS} FROM shares s WHERE s.id = ?`).get(id) as
      ShareRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  async get(id: string): Promise<ShareRecord | null> {
    return this.getSync(id);
  }

  async findByTokenHash(tokenHash: string): Promise<ShareRecord | null> {
    const row = this.db.prepare(`SELECT ${SELECT_COLUMNS} FROM shares s WHERE s.token_hash = ?`).get(tokenHash) as
      ShareRow | undefined;
    return row ? rowToRecord(row) : null;
  }

  async list(query: ShareQuery, now: Date): Promise<SharePage> {
    const { where, params } = listWhere(query, now.getTime(), (i) => `@p${i}`);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM shares s ${where}`).get(named(params)) as { n: number })
      .n;
    const page = [...params, query.limit, query.offset];
    const rows = this.db
      .prepare(
        `SELECT ${SELECT_COLUMNS} FROM shares s ${where} ${LIST_ORDER} LIMIT @p${params.length + 1} OFFSET @p${params.length + 2}`,
      )
      .all(named(page)) as ShareRow[];
    return { total, shares: rows.map(rowToRecord) };
  }

  private revokeSync(id: string, by: string, at: Date): ShareRecord | null {
    // The sequence is taken inside the write transaction: SQLite serialises writers, so it follows commit order
    // and a reader that remembers the last one it saw misses nothing.
    this.db
      .prepare(
        `
      UPDATE shares SET revoked_at = ?, revoked_by = ?,
        revoked_seq = (SELECT COALESCE(MAX(revoked_seq), 0) + 1 FROM shares)
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

  async revokedSince(afterSeq: number, now: Date): Promise<RevokedEntry[]> {
    const rows = this.db
      .prepare(
        `
      SELECT id, token_hash, revoked_seq FROM shares
      WHERE revoked_seq > ? AND (expires_at IS NULL OR expires_at > ?)
      ORDER BY revoked_seq`,
      )
      .all(afterSeq, now.getTime()) as { id: string; token_hash: string; revoked_seq: number }[];
    return rows.map((r) => ({ id: r.id, tokenHash: r.token_hash, seq: r.revoked_seq }));
  }

  /** The last revocation sequence number, expired shares included (where a poller resumes). */
  lastSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(revoked_seq), 0) AS s FROM shares').get() as { s: number }).s;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
