import type { Pool, PoolClient } from 'pg';
import type { AccessBatch, ShareAccessSummary } from '../trail/share-access-record';
import { dayOf } from '../trail/share-access-record';
import { AccessCountRow, AccessDayRow, AccessEventRow, EVENT_COLUMNS, takeBack, toSummary } from './access-sql';

const iso = (ms: number) => new Date(ms).toISOString();
const msOf = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

/**
 * The access trail on PostgreSQL: a batch is three statements in one transaction whatever its size (the events and
 * the counts as arrays), so a replica's write is a few round trips per second at most.
 */
export class PgAccessTrail {
  constructor(
    private readonly pool: Pool,
    private readonly inTransaction: <T>(fn: (c: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  write(batch: AccessBatch): Promise<void> {
    const { events, counts, days } = batch;
    return this.inTransaction(async (c) => {
      const inserted = new Set<string>();
      if (events.length) {
        const col = <T>(f: (e: (typeof events)[number]) => T) => events.map(f);
        const res = await c.query<{ share_id: string; child_id: string | null }>(
          `INSERT INTO share_access_events (${EVENT_COLUMNS})
           SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::text[])
           ON CONFLICT DO NOTHING
           RETURNING share_id, child_id`,
          [
            col((e) => e.shareId),
            col((e) => iso(e.at)),
            col((e) => e.kind),
            col((e) => e.outcome),
            col((e) => e.reason),
            col((e) => e.childId),
            col((e) => e.clientAddress),
            col((e) => e.userAgent),
          ],
        );
        for (const r of res.rows) if (r.child_id !== null) inserted.add(`${r.share_id}\n${r.child_id}`);
      }
      if (counts.length) {
        await c.query(
          `INSERT INTO share_access_counts AS t (share_id, kind, outcome, count, first_at, last_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[])
           ON CONFLICT (share_id, kind, outcome) DO UPDATE SET count = t.count + EXCLUDED.count,
             first_at = LEAST(t.first_at, EXCLUDED.first_at), last_at = GREATEST(t.last_at, EXCLUDED.last_at)`,
          [
            counts.map((x) => x.shareId),
            counts.map((x) => x.kind),
            counts.map((x) => x.outcome),
            counts.map((x) => x.count),
            counts.map((x) => iso(x.firstAt)),
            counts.map((x) => iso(x.lastAt)),
          ],
        );
      }
      const rejected = events.filter((e) => e.childId !== null && !inserted.has(`${e.shareId}\n${e.childId}`));
      const back = takeBack(rejected);
      if (back.length) {
        await c.query(
          `UPDATE share_access_counts AS t SET count = GREATEST(t.count - b.n, 0)
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS b (share_id, outcome, n)
           WHERE t.share_id = b.share_id AND t.kind = 'child-grant' AND t.outcome = b.outcome`,
          [back.map((b) => b.shareId), back.map((b) => b.outcome), back.map((b) => b.n)],
        );
      }
      if (days.length) {
        await c.query(
          `INSERT INTO share_access_days AS t (share_id, day, kind, outcome, count)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[])
           ON CONFLICT (share_id, day, kind, outcome) DO UPDATE SET count = t.count + EXCLUDED.count`,
          [
            days.map((d) => d.shareId),
            days.map((d) => d.day),
            days.map((d) => d.kind),
            days.map((d) => d.outcome),
            days.map((d) => d.count),
          ],
        );
      }
      const shares = [...new Set(events.map((e) => e.shareId))];
      if (shares.length) {
        // A share keeps its newest events only (a bound per share whatever the traffic).
        await c.query(
          `DELETE FROM share_access_events e USING (
             SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY share_id ORDER BY at DESC, id DESC) AS n
               FROM share_access_events WHERE share_id = ANY($1::text[])) r WHERE r.n > $2) old
           WHERE e.id = old.id`,
          [shares, batch.keepPerShare],
        );
      }
    });
  }

  async pruneBefore(before: Date, limit: number): Promise<number> {
    await this.pool.query('DELETE FROM share_access_days WHERE day < $1', [dayOf(before.getTime())]);
    const res = await this.pool.query(
      `DELETE FROM share_access_events WHERE id IN (
         SELECT id FROM share_access_events WHERE at < $1 ORDER BY at LIMIT $2)`,
      [before, limit],
    );
    return res.rowCount ?? 0;
  }

  async of(shareId: string, recent: number, since: Date): Promise<ShareAccessSummary> {
    const [counts, events, days] = await Promise.all([
      this.pool.query<AccessCountRow>(
        `SELECT kind, outcome, count, ${msOf('first_at')} AS first_at, ${msOf('last_at')} AS last_at
         FROM share_access_counts WHERE share_id = $1`,
        [shareId],
      ),
      this.pool.query<AccessEventRow>(
        `SELECT ${msOf('at')} AS at, kind, outcome, reason, child_id, client_address, user_agent
         FROM share_access_events WHERE share_id = $1 AND at >= $2 ORDER BY at DESC, id DESC LIMIT $3`,
        [shareId, since, recent],
      ),
      this.pool.query<AccessDayRow>(
        'SELECT day, kind, outcome, count FROM share_access_days WHERE share_id = $1 AND day >= $2 ORDER BY day',
        [shareId, dayOf(since.getTime())],
      ),
    ]);
    return toSummary(counts.rows, events.rows, days.rows);
  }
}
