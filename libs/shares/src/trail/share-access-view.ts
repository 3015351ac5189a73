import type { ShareAccessSummary } from './share-access-record';

interface ShareAccessEventView {
  at: string;
  kind: string;
  outcome: string;
  reason: string | null;
  'child-id': string | null;
  'client-address': string | null;
  'user-agent': string | null;
}

/** The access trail of a share as `GET /shares/{id}` and `npm run shares -- show` give it (kebab-case). */
export interface ShareAccessView {
  /** kind -> outcome -> number of events, over the share's whole life (counts are never pruned). */
  counts: Record<string, Record<string, number>>;
  /** The first and last time the share page was opened (any outcome), or null. */
  'first-opened': string | null;
  'last-opened': string | null;
  /** Page views per UTC day (YYYY-MM-DD -> views, any outcome), within `retention-days`: views are counted, not kept. */
  'opens-by-day': Record<string, number>;
  /** The newest events first, at most `recent-limit`, none older than `retention-days`. */
  recent: ShareAccessEventView[];
  'recent-limit': number;
  'retention-days': number;
}

export function toAccessView(
  summary: ShareAccessSummary,
  opts: { recentLimit: number; retentionDays: number },
): ShareAccessView {
  const iso = (ms: number) => new Date(ms).toISOString();
  const counts: Record<string, Record<string, number>> = {};
  let first: number | null = null;
  let last: number | null = null;
  for (const c of summary.counts) {
    if (c.count <= 0) continue;
    (counts[c.kind] ??= {})[c.outcome] = c.count;
    if (c.kind === 'page-open') {
      first = first === null ? c.firstAt : Math.min(first, c.firstAt);
      last = last === null ? c.lastAt : Math.max(last, c.lastAt);
    }
  }
  const opens: Record<string, number> = {};
  for (const d of summary.days) {
    if (d.kind !== 'page-open') continue;
    const day = iso(d.day * 86_400_000).slice(0, 10);
    opens[day] = (opens[day] ?? 0) + d.count;
  }
  return {
    counts,
    'opens-by-day': opens,
    'first-opened': first === null ? null : iso(first),
    'last-opened': last === null ? null : iso(last),
    recent: summary.recent.map((e) => ({
      at: iso(e.at),
      kind: e.kind,
      outcome: e.outcome,
      reason: e.reason,
      'child-id': e.childId,
      'client-address': e.clientAddress,
      'user-agent': e.userAgent,
    })),
    'recent-limit': opts.recentLimit,
    'retention-days': opts.retentionDays,
  };
}
