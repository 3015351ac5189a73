import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { createShare, eventually, validate } from './support/shares';
import { CLI_TIMEOUT_MS, sharesCli } from './support/shares-cli';

/**
 * `npm run shares -- ...` as a separate process next to the running service, on the same storage: what it revokes
 * the service refuses soon after (SQLite: its one-second poll; PostgreSQL: NOTIFY). A test runs up to three CLI
 * processes (support/shares-cli.ts).
 */
jest.setTimeout(2 * CLI_TIMEOUT_MS + 30_000);
const vectors = JSON.parse(readFileSync(join(__dirname, 'fixtures/python-service.json'), 'utf8'));
const cli = sharesCli;

function cliSuite(
  storage: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>,
  revokedWithinMs: number,
) {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let dataDir: string;
  let svc: RunningApp;

  beforeAll(async () => {
    const s = await storage();
    drop = s.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-cli-'));
    env = { ...s.env, DATA_DIR: dataDir, SECRETS_DIR: join(dataDir, 'no-secrets'), SECRET_KEY: vectors.secret };
    svc = await startApp({ ...env, ...vectors.config });
  });
  afterAll(async () => {
    await svc?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('revokes a share of the running service, which then refuses it', async () => {
    const { token, id } = await createShare(svc.url);
    const kept = await createShare(svc.url);
    expect(await validate(svc.url, token)).toBe(true);

    const res = await cli(env, 'revoke', id);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toMatchObject({
      id,
      status: 'revoked',
      'revoked-by': expect.stringMatching(/^cli:/),
    });

    await eventually(async () => !(await validate(svc.url, token)), revokedWithinMs);
    expect(await validate(svc.url, kept.token)).toBe(true);
    expect((await call(svc.url, 'GET', `/shares/${id}`)).body.status).toBe('revoked');
  });

  it('revokes a Python-service token by its hash while the service runs', async () => {
    const c = vectors.cases.find((x: any) => x.name === 'viewer-instant-link/both/no-expiry');
    const probe = c.validate.find((p: any) => p.expected.granted === true);
    const ask = async () =>
      (await call(svc.url, 'POST', '/tokens/validate', probe.body, { headers: probe.headers })).body.granted;
    expect(await ask()).toBe(true);
    const res = await cli(env, 'revoke-token', c.create.reference.token);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).id).toMatch(/^hash:/);
    await eventually(async () => (await ask()) === false, revokedWithinMs);
  });

  it('lists (table and JSON, with filters) and shows what the service recorded', async () => {
    const { id } = await createShare(svc.url, { study: '1.2.3.cli', orthancId: 'oid-cli' });
    const [json, table, shown] = await Promise.all([
      cli(env, 'list', '--study', '1.2.3.cli', '--json', '--count'),
      cli(env, 'list', '--orthanc-id', 'oid-cli'),
      cli(env, 'show', id, '--json'),
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      total: 1,
      'total-exact': true,
      'next-cursor': null,
      shares: [{ id, status: 'active', creator: { name: 'share-user' } }],
    });
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+status\s+type.*\s+protection\s+opens\s+last opened$/);
    expect(table.stdout).toContain(id);
    expect(JSON.parse(shown.stdout).id).toBe(id);
    // Without --json: a table of the share's fields.
    const text = await cli(env, 'show', id);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(text.stdout).toMatch(/^protection\s+-$/m);
    expect(() => JSON.parse(text.stdout)).toThrow();
  });

  it('pages with --cursor, printing the next one after each page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createShare(svc.url, { study: '1.2.3.cli.paging' })).id);
    const first = await cli(env, 'list', '--study', '1.2.3.cli.paging', '--limit', '2');
    expect(first.code).toBe(0);
    const cursor = /next page: --cursor (\S+)\)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    expect(first.stdout).toContain(ids[2]);
    expect(first.stdout).toContain(ids[1]);
    const second = await cli(env, 'list', '--study', '1.2.3.cli.paging', '--limit', '2', '--cursor', cursor!, '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ shares: [{ id: ids[0] }], 'next-cursor': null });
  });

  it('exits 1 for an unknown id and 2 for bad usage, saying why', async () => {
    const [unknown, bad, unknownCommand, offset] = await Promise.all([
      cli(env, 'show', 'no-such-share'),
      cli(env, 'list', '--limit', 'lots'),
      cli(env, 'frobnicate'),
      cli(env, 'list', '--offset', '50'),
    ]);
    expect(offset.code).toBe(2);
    expect(offset.stderr).toContain('page with cursor');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('no share with the id "no-such-share"');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('limit');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain('unknown command "frobnicate"');
  });
}

describe('shares CLI on SQLite, beside the running service', () => {
  // The service re-reads revocations every second: allow a few polls on a busy machine.
  cliSuite(async () => ({ env: {}, drop: async () => undefined }), 5000);
});

describeWithPostgres('shares CLI on PostgreSQL, beside the running service', () => {
  cliSuite(async () => {
    const db = await freshDatabase();
    return { env: { DATABASE_URL: db.url }, drop: db.drop };
    // NOTIFY reaches the service within about a second; allow for a busy machine (the replicas suite times it).
  }, 5000);
});
