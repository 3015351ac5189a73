import type Database from 'better-sqlite3';
import type { AccessBatch, AccessEventRecord, ShareAccessSummary } from '../share-access-record';
import { AccessCountRow, AccessEventRow, EVENT_COLUMNS, takeBack, toSummary } from './access-sql';

type Rows = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * The access trail on SQLite: a batch is written on the service's connection in one IMMEDIATE transaction (prepared
 * inserts, a few microseconds each), the reads go to the reader thread like every other read.
 */
export class SqliteAccessTrail {
  private readonly insertEvent: Database.Statement;
  private readonly addCount: Database.Statement;
  private readonly takeBackCount: Database.Statement;
  private readonly prune: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly rows: Rows,
  ) {
    this.insertEvent = db.prepare(
      `INSERT INTO share_access_events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.addCount = db.prepare(
      `INSERT INTO share_access_counts (share_id, kind, outcome, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (share_id, kind, outcome) DO UPDATE SET count = count + excluded.count,
         first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)`,
    );
    this.takeBackCount = db.prepare(
      `UPDATE share_access_counts SET count = MAX(count - ?, 0)
       WHERE share_id = ? AND kind = 'child-grant' AND outcome = ?`,
    );
    this.prune = db.prepare(
      'DELETE FROM share_access_events WHERE id IN (SELECT id FROM share_access_events WHERE at < ? ORDER BY at LIMIT ?)',
    );
  }

  async write(batch: AccessBatch): Promise<void> {
    this.db
      .transaction(() => {
        const rejected: AccessEventRecord[] = [];
        for (const e of batch.events) {
          const res = this.insertEvent.run(
            e.shareId,
            e.at,
            e.kind,
            e.outcome,
            e.reason,
            e.childId,
            e.clientAddress,
            e.userAgent,
          );
          if (res.changes === 0) rejected.push(e);
        }
        for (const c of batch.counts) this.addCount.run(c.shareId, c.kind, c.outcome, c.count, c.firstAt, c.lastAt);
        for (const r of takeBack(rejected)) this.takeBackCount.run(r.n, r.shareId, r.outcome);
      })
      .immediate();
  }

  async pruneBefore(before: Date, limit: number): Promise<number> {
    return this.prune.run(before.getTime(), limit).changes;
  }

  async of(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary> {
    const [counts, events] = await Promise.all([
      this.rows<AccessCountRow>(
        'SELECT kind, outcome, count, first_at, last_at FROM share_access_counts WHERE share_id = @p1',
        [shareId],
      ),
      this.rows<AccessEventRow>(
        `SELECT at, kind, outcome, reason, child_id, client_address, user_agent FROM share_access_events
         WHERE share_id = @p1 AND at >= @p2 ORDER BY at DESC, id DESC LIMIT @p3`,
        [shareId, since.getTime(), recent],
      ),
    ]);
    return toSummary(counts, events);
  }
}
