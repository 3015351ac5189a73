import type { SharePage, ShareQuery, ShareRecord } from '../share-record';
import { JOIN_CREATORS, rowToRecord, selectColumns, ShareRow } from './share-sql';

/**
 * Listing the registry at any size, on both engines, in bounded time.
 *
 * Shares are listed newest first: by `pk` descending (the order they were recorded). Every filter has an index that
 * also yields that order: the study and Orthanc-id indexes of share_resources, (type, pk), (creator_id, pk), and the
 * not-revoked shares (pk). A page walks one of them, the *drive*, from the cursor down, checks the other filters on
 * the rows it meets, and stops after `limit` matches or after LIST_SCAN_BUDGET rows of the drive, whichever comes
 * first. So no filter combination, however rare its matches, costs more than LIST_SCAN_BUDGET rows per page; when the
 * budget runs out first the page is short (possibly empty) and its `next` continues where it stopped.
 *
 * The drive is chosen per page among the indexed filters present: a first query per candidate counts its next
 * LIST_SCAN_BUDGET rows (from the index alone) and the one that reaches furthest back, the most selective here, wins.
 */
const LIST_SCAN_BUDGET = 10_000;
/** `count`: the most rows of the drive examined; beyond, the total is a lower bound. */
export const COUNT_SCAN_BUDGET = LIST_SCAN_BUDGET;

/** The scan budgets, changed by tests only (a few shares then stand for a large registry). */
export interface ListBudgets {
  scan: number;
  count: number;
}
export const LIST_BUDGETS: ListBudgets = { scan: LIST_SCAN_BUDGET, count: COUNT_SCAN_BUDGET };

/** How a store runs the statements of a listing. */
export interface ListDialect {
  readonly kind: 'sqlite' | 'postgres';
  /** The i-th (1-based) parameter's placeholder. */
  param(i: number): string;
  /** A time as the store keeps it (epoch ms in SQLite, timestamptz in PostgreSQL). */
  time(at: Date): unknown;
  rows<T>(sql: string, params: unknown[]): Promise<T[]>;
}

/** Collects the parameters of one statement, answering their placeholders. */
class Params {
  readonly values: unknown[] = [];
  constructor(readonly dialect: ListDialect) {}
  add(v: unknown): string {
    this.values.push(v);
    return this.dialect.param(this.values.length);
  }
  /** `table alias`, with SQLite's index hint (PostgreSQL plans from its statistics). */
  table(table: string, alias: string, index: string | null): string {
    if (this.dialect.kind !== 'sqlite') return `${table} ${alias}`;
    return `${table} ${alias} ${index ? `INDEXED BY ${index}` : 'NOT INDEXED'}`;
  }
}

/** Where a page starts (exclusive) and stops (inclusive); null: unbounded on that side. */
interface Range {
  before: number | null;
  floor: number | null;
}

/** An index that yields candidate shares in list order (pk descending). */
interface Drive {
  name: string;
  /** The index `shares s` is read through when this drive leads a page (null: the table itself, by pk). */
  index: string | null;
  /** Several arms (one per value of an IN) are merged; each alone is an ordered range of the index. */
  arms: number;
  /** Its rows are exactly the matches of its filter (the not-revoked index still has expiry to check). */
  covers: boolean;
  /** A page read through it alone stops by itself after `limit` rows (SQLite sorts a study's shares first). */
  ordered: boolean;
  /**
   * The arm statements, each selecting candidate pks as `pk`, within the range; `inside` adds conditions on
   * `shares s` to arms that read it (the activity filter, whose columns the indexes carry).
   */
  select(p: Params, range: Range, inside?: string[]): string[];
}

interface Filter {
  /** The condition on `shares s`, within the range (resource filters need it inside their subquery). */
  where(p: Params, range: Range): string;
  drive: Drive | null;
  /** The activity filter: answered from the drive's index (PostgreSQL evaluates it inside the drive's subquery). */
  activity?: boolean;
}

function rangeOf(column: string, p: Params, r: Range): string {
  const parts: string[] = [];
  if (r.before !== null) parts.push(`${column} < ${p.add(r.before)}`);
  if (r.floor !== null) parts.push(`${column} >= ${p.add(r.floor)}`);
  return parts.join(' AND ');
}
const and = (...parts: string[]) => parts.filter((x) => x).join(' AND ');
const where = (...parts: string[]) => (and(...parts) ? ` WHERE ${and(...parts)}` : '');

function resourceFilter(column: 'dicom_uid' | 'orthanc_id', value: string): Filter {
  const index = `share_resources_${column}`;
  const select = (p: Params, r: Range, distinct = '') =>
    `SELECT ${distinct}r.share_pk AS pk FROM ${p.table('share_resources', 'r', index)}` +
    where(`r.${column} = ${p.add(value)}`, rangeOf('r.share_pk', p, r));
  return {
    where: (p, r) => `s.pk IN (${select(p, r)})`,
    // DISTINCT: a share may name the same study twice.
    drive: {
      name: column,
      index: null,
      arms: 1,
      covers: true,
      ordered: false,
      select: (p, r) => [select(p, r, 'DISTINCT ')],
    },
  };
}

/** `SELECT s.pk AS pk FROM shares s` through an index, with conditions. */
const sharesArm = (p: Params, index: string | null, ...conditions: string[]) =>
  `SELECT s.pk AS pk FROM ${p.table('shares', 's', index)}${where(...conditions)}`;

function columnFilter(index: string, column: string, values: readonly unknown[]): Filter {
  return {
    where: (p) =>
      values.length === 1
        ? `s.${column} = ${p.add(values[0])}`
        : `s.${column} IN (${values.map((v) => p.add(v)).join(', ')})`,
    drive: {
      name: column,
      index,
      arms: values.length,
      covers: true,
      ordered: true,
      select: (p, r, inside = []) =>
        values.map((v) => sharesArm(p, index, `s.${column} = ${p.add(v)}`, rangeOf('s.pk', p, r), ...inside)),
    },
  };
}

function activeFilter(active: boolean, now: unknown): Filter {
  if (!active) {
    return {
      where: (p) => `(s.revoked_at IS NOT NULL OR s.expires_at <= ${p.add(now)})`,
      drive: null,
      activity: true,
    };
  }
  return {
    where: (p) => `s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ${p.add(now)})`,
    activity: true,
    drive: {
      name: 'unrevoked',
      index: 'shares_unrevoked',
      arms: 1,
      covers: false,
      ordered: true,
      select: (p, r, inside = []) => [
        sharesArm(p, 'shares_unrevoked', 's.revoked_at IS NULL', rangeOf('s.pk', p, r), ...inside),
      ],
    },
  };
}

/** No indexed filter: the table in pk order. */
const ALL: Drive = {
  name: 'all',
  index: null,
  arms: 1,
  covers: true,
  ordered: true,
  select: (p, r, inside = []) => [sharesArm(p, null, rangeOf('s.pk', p, r), ...inside)],
};

export interface ListInput {
  query: ShareQuery;
  now: Date;
  /** The creator ids the creator and owner filters stand for (resolved by the store); null when neither is asked. */
  creatorIds: number[] | null;
  budgets: ListBudgets;
}

interface Window {
  drive: Drive;
  /** Rows of the drive below the start, counted up to the budget. */
  n: number;
  /** The lowest pk among them. */
  floor: number | null;
}

/** Runs a listing: the page and, when asked, the count. */
export async function listShares(dialect: ListDialect, input: ListInput): Promise<SharePage> {
  const { query: q } = input;
  if (input.creatorIds !== null && input.creatorIds.length === 0) {
    return { shares: [], next: null, ...(q.count ? { total: { count: 0, exact: true } } : {}) };
  }
  const filters = filtersOf(dialect, input);
  const page = await listPage(dialect, filters, q.limit, q.before ?? null, input.budgets.scan);
  if (!q.count) return page;
  return { ...page, total: await countShares(dialect, filters, input.budgets.count) };
}

function filtersOf(dialect: ListDialect, { query: q, now, creatorIds }: ListInput): Filter[] {
  const filters: Filter[] = [];
  if (q.study !== undefined) filters.push(resourceFilter('dicom_uid', q.study));
  if (q.orthancId !== undefined) filters.push(resourceFilter('orthanc_id', q.orthancId));
  if (creatorIds !== null) filters.push(columnFilter('shares_creator', 'creator_id', creatorIds));
  if (q.type !== undefined) filters.push(columnFilter('shares_type', 'type', [q.type]));
  if (q.active !== undefined) filters.push(activeFilter(q.active, dialect.time(now)));
  return filters;
}

const drivesOf = (filters: Filter[]): Drive[] => {
  const drives = filters.flatMap((f) => (f.drive ? [f.drive] : []));
  return drives.length ? drives : [ALL];
};

/** The drive alone is the whole listing: nothing else to check on the rows it yields. */
const alone = (filters: Filter[], drive: Drive) =>
  drive.covers && (drive === ALL ? filters.length === 0 : filters.length === 1 && filters[0].drive === drive);

/**
 * The shares of the range, in list order, read through the drive. SQLite: `shares s` through the drive's index (an
 * INDEXED BY hint). PostgreSQL, which takes no hints and whose statistics know nothing of how a filter spreads over
 * time (a viewer given up two years ago: its shares all lie far back), reads the drive in a subquery of its own
 * (OFFSET 0 keeps it apart), the activity filter answered inside from the index, then joins the rows.
 */
function fromDrive(
  p: Params,
  drive: Drive,
  filters: Filter[],
  range: Range,
  purpose: 'page' | 'count',
): { from: string; where: string } {
  if (p.dialect.kind === 'sqlite') {
    return {
      from: `${p.table('shares', 's', drive.index)}${purpose === 'page' ? ` ${JOIN_CREATORS}` : ''}`,
      where: where(...filters.map((f) => f.where(p, range)), rangeOf('s.pk', p, range)),
    };
  }
  // Every filter the drive's rows do not answer by themselves is checked on the joined rows, but the activity
  // filter, whose columns the type, creator and not-revoked indexes carry: checked inside, before the join.
  const rest = filters.filter((f) => f.drive !== drive || !drive.covers);
  const activity = drive.index !== null ? rest.find((f) => f.activity) : undefined;
  const inner = drive.select(p, range, activity ? [activity.where(p, range)] : []).join(' UNION ALL ');
  const outer = rest.filter((f) => f !== activity);
  if (purpose === 'count' && outer.length === 0) return { from: `(${inner} OFFSET 0) AS d`, where: '' };
  return {
    from:
      `(${inner}${purpose === 'page' ? ' ORDER BY pk DESC' : ''} OFFSET 0) AS d JOIN shares s ON s.pk = d.pk` +
      (purpose === 'page' ? ` ${JOIN_CREATORS}` : ''),
    // The range again on `s`: PostgreSQL does not carry it across the join, and a merge join would start its scan of
    // `s` at the newest share.
    where: where(...outer.map((f) => f.where(p, range)), rangeOf('s.pk', p, range)),
  };
}

async function listPage(
  dialect: ListDialect,
  filters: Filter[],
  limit: number,
  before: number | null,
  budget: number,
): Promise<SharePage> {
  const drives = drivesOf(filters);
  let drive = drives[0];
  let floor: number | null = null;
  // A single ordered index with nothing else to check stops by itself after `limit` rows: no window needed. A
  // resource drive always takes one (a study shared 100,000 times would otherwise be sorted whole), as does a
  // drive of several arms (their merge is a sort).
  if (!(alone(filters, drive) && drive.arms === 1 && drive.ordered)) {
    const w = await bestWindow(dialect, drives, before, budget);
    drive = w.drive;
    floor = w.n < budget ? null : w.floor;
  }
  const p = new Params(dialect);
  const range = { before, floor };
  const { from, where: conditions } = fromDrive(p, drive, filters, range, 'page');
  const rows = await dialect.rows<ShareRow>(
    `SELECT ${selectColumns(dialect.kind)} FROM ${from}${conditions} ORDER BY s.pk DESC LIMIT ${p.add(limit + 1)}`,
    p.values,
  );
  const shares: ShareRecord[] = rows.slice(0, limit).map(rowToRecord);
  let next: number | null = null;
  if (rows.length > limit) next = Number(rows[limit - 1].pk);
  else if (floor !== null) next = floor;
  // pk 1 is the oldest share: nothing lies before it.
  return { shares, next: next !== null && next > 1 ? next : null };
}

async function countShares(
  dialect: ListDialect,
  filters: Filter[],
  budget: number,
): Promise<{ count: number; exact: boolean }> {
  const w = await bestWindow(dialect, drivesOf(filters), null, budget);
  const exact = w.n < budget;
  if (alone(filters, w.drive)) return { count: w.n, exact };
  const p = new Params(dialect);
  const range = { before: null, floor: exact ? null : w.floor };
  const { from, where: conditions } = fromDrive(p, w.drive, filters, range, 'count');
  const [row] = await dialect.rows<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${from}${conditions}`, p.values);
  return { count: Number(row.n), exact };
}

/** The window of each candidate drive; the exhausted one with the fewest rows, else the one reaching furthest back. */
async function bestWindow(
  dialect: ListDialect,
  drives: Drive[],
  before: number | null,
  budget: number,
): Promise<Window> {
  let best: Window | null = null;
  for (const drive of drives) {
    const w = await windowOf(dialect, drive, before, budget);
    if (best === null || better(w, best, budget)) best = w;
  }
  return best!;
}

function better(a: Window, b: Window, budget: number): boolean {
  const aDone = a.n < budget;
  const bDone = b.n < budget;
  if (aDone !== bDone) return aDone;
  if (aDone) return a.n < b.n;
  return (a.floor ?? 0) < (b.floor ?? 0);
}

async function windowOf(dialect: ListDialect, drive: Drive, before: number | null, budget: number): Promise<Window> {
  const p = new Params(dialect);
  const arms = drive
    .select(p, { before, floor: null })
    .map((a, i) => `SELECT pk FROM (${a} ORDER BY pk DESC LIMIT ${p.add(budget)}) AS a${i}`);
  const union = arms.length === 1 ? arms[0] : `${arms.join(' UNION ALL ')} ORDER BY pk DESC LIMIT ${p.add(budget)}`;
  const [row] = await dialect.rows<{ n: number | string; floor: number | string | null }>(
    `SELECT COUNT(*) AS n, MIN(pk) AS floor FROM (${union}) AS w`,
    p.values,
  );
  return { drive, n: Number(row.n), floor: row.floor === null ? null : Number(row.floor) };
}

/**
 * The creator ids the creator and owner filters of a listing stand for (creators are few: one row per login or
 * Keycloak user), or null when the listing has neither filter.
 */
export async function creatorIdsOf(
  q: ShareQuery,
  rows: (sql: string, params: unknown[]) => Promise<{ id: number | string }[]>,
  p: (i: number) => string,
): Promise<number[] | null> {
  if (q.creator === undefined && q.ownerUserId === undefined) return null;
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (q.creator !== undefined) {
    params.push(q.creator);
    clauses.push(`(name = ${p(params.length)} OR user_id = ${p(params.length)})`);
  }
  if (q.ownerUserId !== undefined) {
    params.push(q.ownerUserId);
    clauses.push(`user_id = ${p(params.length)}`);
  }
  const found = await rows(`SELECT id FROM share_creators WHERE ${clauses.join(' AND ')} ORDER BY id`, params);
  return found.map((r) => Number(r.id));
}
