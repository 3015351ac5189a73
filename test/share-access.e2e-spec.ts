import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SharesService } from '@app/shares';
import type { ShareAccessEvent } from '@app/shares';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { createShare } from './support/shares';
import { CLI_TIMEOUT_MS, sharesCli } from './support/shares-cli';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/**
 * The access trail of a share (issue 15, deliverable 6) through the whole service: events recorded through
 * `SharesService.recordAccess` (what the share page and validate call) come back in `GET /shares/{id}` at once, are
 * written when the service stops, survive a restart, and are printed by `npm run shares -- show`.
 */
jest.setTimeout(CLI_TIMEOUT_MS + 120_000);

const SHARE_KEYS = [
  'id',
  'status',
  'type',
  'resources',
  'creator',
  'created-at',
  'expires-at',
  'revoked-at',
  'revoked-by',
  'token-hash',
];
const T0 = Date.now() - 3_600_000;
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString();
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148';
const ADDRESS = '203.0.113.77';

function trailSuite(storage: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>) {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let dataDir: string;
  let svc: RunningApp | null = null;
  let shareId: string;

  const start = async () => (svc = await startApp(env, { captureLogs: true }));
  const record = (e: Partial<ShareAccessEvent> & Pick<ShareAccessEvent, 'kind' | 'outcome' | 'at'>) =>
    svc!.app.get(SharesService).recordAccess({ shareId, clientAddress: ADDRESS, userAgent: PHONE, ...e });
  const access = async () => {
    const res = await call(svc!.url, 'GET', `/shares/${shareId}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    const s = await storage();
    drop = s.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-trail-'));
    env = { ...s.env, DATA_DIR: dataDir, SHARE_TRAIL_RECENT_EVENTS: '5', SHARE_TRAIL_RETENTION_DAYS: '30' };
    await start();
    shareId = (await createShare(svc!.url)).id;
  });
  afterAll(async () => {
    await svc?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a share nobody opened with an empty trail, keeping every key of the share', async () => {
    const body = await access();
    for (const key of SHARE_KEYS) expect(body).toHaveProperty([key]);
    expect(body.id).toBe(shareId);
    expect(body.access).toEqual({
      counts: {},
      'opens-by-day': {},
      'first-opened': null,
      'last-opened': null,
      recent: [],
      'recent-limit': 5,
      'retention-days': 30,
    });
  });

  it('gives the counts, first and last opening and the newest events recorded a moment before', async () => {
    record({ kind: 'page-open', outcome: 'ok', at: at(10) });
    record({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password', at: at(20) });
    record({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password', at: at(21) });
    record({ kind: 'page-open', outcome: 'ok', at: at(30) });
    record({ kind: 'unlock', outcome: 'ok', childId: 'child-1', at: at(31) });
    record({ kind: 'child-grant', outcome: 'ok', childId: 'child-1', at: at(32) });
    record({ kind: 'child-grant', outcome: 'ok', childId: 'child-1', at: at(33) }); // the same child: not again
    const { access: trail } = await access();
    expect(trail.counts).toEqual({ 'page-open': { ok: 2 }, unlock: { failed: 2, ok: 1 }, 'child-grant': { ok: 1 } });
    expect(trail['first-opened']).toBe(iso(10));
    expect(trail['last-opened']).toBe(iso(30));
    // Page views are counted per day, not kept one by one: the newest events are the unlocks and the grant.
    expect(trail['opens-by-day']).toEqual({ [iso(10).slice(0, 10)]: 2 });
    expect(trail.recent).toHaveLength(4);
    expect(trail.recent.map((e: any) => e.at)).toEqual([iso(32), iso(31), iso(21), iso(20)]);
    expect(trail.recent[0]).toEqual({
      at: iso(32),
      kind: 'child-grant',
      outcome: 'ok',
      reason: null,
      'child-id': 'child-1',
      'client-address': ADDRESS,
      'user-agent': PHONE,
    });
    expect(trail.recent[3]).toMatchObject({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password' });
    expect(trail.recent[1]).toMatchObject({ kind: 'unlock', outcome: 'ok', 'child-id': 'child-1' });
  });

  it('writes what it holds when the service stops: a restarted service and the CLI read it back', async () => {
    record({ kind: 'code-sent', outcome: 'ok', at: at(40) });
    record({ kind: 'page-open', outcome: 'locked', reason: 'link-ceiling', at: at(50) });
    record({ kind: 'unlock', outcome: 'failed', reason: 'wrong-password', at: at(51), userAgent: 'x'.repeat(5000) });
    expect(svc!.app.get(SharesService).trail.stats().buffered).toBe(2); // not written yet: stopping writes them
    await svc!.close();
    svc = null;
    await start();
    const { access: trail } = await access();
    expect(trail.counts).toEqual({
      'page-open': { ok: 2, locked: 1 },
      unlock: { failed: 3, ok: 1 },
      'child-grant': { ok: 1 },
      'code-sent': { ok: 1 },
    });
    expect(trail['last-opened']).toBe(iso(50));
    expect(trail.recent[0]).toMatchObject({
      at: iso(51),
      kind: 'unlock',
      outcome: 'failed',
      reason: 'wrong-password',
    });
    expect(trail.recent[0]['user-agent']).toBe('x'.repeat(256)); // a hostile User-Agent is cut, not stored whole

    // The restarted service has forgotten child-1's grant; the registry has not.
    record({ kind: 'child-grant', outcome: 'ok', childId: 'child-1', at: at(60) });
    record({ kind: 'child-grant', outcome: 'ok', childId: 'child-2', at: at(61) });
    const again = (await access()).access;
    expect(again.counts['child-grant']).toEqual({ ok: 2 });
    const grants = again.recent.filter((e: any) => e.kind === 'child-grant');
    expect(grants.map((e: any) => [e['child-id'], e.at])).toEqual([
      ['child-2', iso(61)],
      ['child-1', iso(32)], // the first grant only
    ]);

    const shown = await sharesCli(env, 'show', shareId, '--json');
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    const printed = JSON.parse(shown.stdout);
    expect(printed.id).toBe(shareId);
    expect(printed.access).toEqual(again);
    // Its table (the default): how it opens, its opens and last opening, its counts and newest events.
    const table = (await sharesCli(env, 'show', shareId)).stdout;
    expect(table).toMatch(/^protection\s+-$/m);
    expect(table).toMatch(/^opens\s+3$/m);
    expect(table).toMatch(new RegExp(`^last opened\\s+${iso(50)}$`, 'm'));
    expect(table).toMatch(/^event\s+outcome\s+count$/m);
    const listed = (await sharesCli(env, 'list')).stdout.split('\n').find((l) => l.startsWith(shareId))!;
    expect(listed).toMatch(new RegExp(`\\s-\\s+3\\s+${iso(50)}$`));
  });

  it('hides and prunes the events older than the retention, keeping their counts', async () => {
    const old = new Date(Date.now() - 31 * 86_400_000);
    record({ kind: 'unlock', outcome: 'expired', at: old });
    const { access: trail } = await access();
    expect(trail.counts.unlock).toEqual({ failed: 3, ok: 1, expired: 1 });
    expect(trail.recent.map((e: any) => e.outcome)).not.toContain('expired');
    expect(await svc!.app.get(SharesService).trail.prune()).toBe(1);
    expect((await access()).access.counts.unlock.expired).toBe(1);
  });

  it('counts in /metrics what the trail wrote, skipped and dropped since start-up', async () => {
    const res = await call(svc!.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    const sample = (state: string) =>
      Number(new RegExp(`^orthanc_auth_share_trail_events\\{state="${state}"\\} (\\d+)$`, 'm').exec(res.text)?.[1]);
    // Since the restart: child-1 again (kept by the registry's unique index) and child-2, then the expired unlock.
    expect(sample('written')).toBe(3);
    expect(sample('buffered')).toBe(0);
    expect(sample('dropped')).toBe(0);
    expect(sample('pruned')).toBe(1);
  });

  it('never logs client addresses or user agents', () => {
    const logs = svc!.logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(ADDRESS);
    expect(logs).not.toContain('iPhone');
  });

  it('answers 404 for an unknown share, as before', async () => {
    expect((await call(svc!.url, 'GET', '/shares/no-such-share')).status).toBe(404);
  });
}

describe('share access trail on SQLite', () => {
  trailSuite(async () => ({ env: {}, drop: async () => undefined }));
});

describeWithPostgres('share access trail on PostgreSQL', () => {
  trailSuite(async () => {
    const db = await freshDatabase();
    return { env: { DATABASE_URL: db.url }, drop: db.drop };
  });
});
