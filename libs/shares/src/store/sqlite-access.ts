import type { AccessBatch, ShareAccessSummary } from '../trail/share-access-record';
import { dayOf } from '../trail/share-access-record';
import { AccessCountRow, AccessDayRow, AccessEventRow, toSummary } from './access-sql';
import { SqliteReader } from './sqlite-reader';

type Rows = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * The access trail on SQLite: batches and pruning are written on a thread of their own with its own connection
 * (sqlite-trail-writer.worker.js: one IMMEDIATE transaction per batch), never on the thread that answers validate;
 * the reads go to the reader thread like every other read.
 */
export class SqliteAccessTrail {
  private readonly writer: SqliteReader;

  constructor(
    path: string,
    busyTimeoutMs: number,
    private readonly rows: Rows,
  ) {
    this.writer = new SqliteReader(path, busyTimeoutMs, 'sqlite-trail-writer.worker.js');
  }

  async write(batch: AccessBatch): Promise<void> {
    await this.writer.send({ op: 'write', batch });
  }

  pruneBefore(before: Date, limit: number): Promise<number> {
    return this.writer.send<number>({ op: 'prune', before: before.getTime(), limit });
  }

  async of(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary> {
    const [counts, events, days] = await Promise.all([
      this.rows<AccessCountRow>(
        'SELECT kind, outcome, count, first_at, last_at FROM share_access_counts WHERE share_id = @p1',
        [shareId],
      ),
      this.rows<AccessEventRow>(
        `SELECT at, kind, outcome, reason, child_id, client_address, user_agent FROM share_access_events
         WHERE share_id = @p1 AND at >= @p2 ORDER BY at DESC, id DESC LIMIT @p3`,
        [shareId, since.getTime(), recent],
      ),
      this.rows<AccessDayRow>(
        'SELECT day, kind, outcome, count FROM share_access_days WHERE share_id = @p1 AND day >= @p2 ORDER BY day',
        [shareId, dayOf(since.getTime())],
      ),
    ]);
    return toSummary(counts, events, days);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
