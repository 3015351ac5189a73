import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { SqliteShareStore } from '@app/shares';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { createShare, validate } from './support/shares';

/**
 * Upgrading a registry written by the first version of the service (schema 1) in place: test/fixtures/registry-v1
 * holds one of each engine, made through that version's API (make-fixture.js), and what it listed. The service of
 * today migrates it on start-up and must list the same shares, in the same order, with the same fields; keep every
 * revocation; and go on recording and revoking.
 */
const FIXTURES = join(__dirname, 'fixtures/registry-v1');
const vectors = JSON.parse(readFileSync(join(__dirname, 'fixtures/python-service.json'), 'utf8'));

interface Expected {
  secretKey: string;
  tokens: Record<string, string>;
  ids: Record<string, string>;
  list: { id: string; status: string }[];
}

const python = vectors.cases.find((x: any) => x.name === 'ohif-viewer-publication/both/no-expiry');
const pythonProbe = python.validate.find((p: any) => p.expected.granted === true);

function upgradeSuite(engine: 'sqlite' | 'postgres', prepare: (dataDir: string) => Promise<Record<string, string>>) {
  const expected: Expected = JSON.parse(readFileSync(join(FIXTURES, `expected-${engine}.json`), 'utf8'));
  let dataDir: string;
  let svc: RunningApp;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `orthanc-auth-upgrade-${engine}-`));
    const env = await prepare(dataDir);
    svc = await startApp({ ...env, DATA_DIR: dataDir, SECRET_KEY: expected.secretKey, ...vectors.config });
  });
  afterAll(async () => {
    await svc?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the same shares, in the same order, with the same fields', async () => {
    const res = await call(svc.url, 'GET', '/shares?limit=500&count=true');
    expect(res.status).toBe(200);
    // Statuses are as of now: the fixture's 30-day links may have expired since it was made.
    const now = Date.now();
    const asOfNow = (s: any) => ({
      ...s,
      status: s.status === 'active' && s['expires-at'] && Date.parse(s['expires-at']) <= now ? 'expired' : s.status,
    });
    expect(res.body.shares).toEqual(expected.list.map(asOfNow));
    expect(res.body).toMatchObject({ total: expected.list.length, 'total-exact': true, 'next-cursor': null });
  });

  it('keeps every revocation: revoked links and the Python-service token revoked by hash are refused', async () => {
    const probe = (token: string, uid: string, oid: string) => validate(svc.url, token, uid, oid);
    expect(
      await probe(expected.tokens.active, '1.2.840.10008.1.1', 'aaaaaaaa-11111111-22222222-33333333-44444444'),
    ).toBe(true);
    expect(
      await probe(expected.tokens.revoked, '1.2.840.10008.1.1', 'aaaaaaaa-11111111-22222222-33333333-44444444'),
    ).toBe(false);
    expect(
      await probe(
        expected.tokens['revoked-expiring'],
        '1.2.840.10008.1.5',
        'eeeeeeee-11111111-22222222-33333333-44444444',
      ),
    ).toBe(false);
    const res = await call(svc.url, 'POST', '/tokens/validate', pythonProbe.body, { headers: pythonProbe.headers });
    expect(res.body.granted).toBe(false);
  });

  it('finds shares by study, Orthanc id, type, creator (login, user name or user id) and activity', async () => {
    const ids = async (query: string) =>
      (await call(svc.url, 'GET', `/shares?${query}`)).body.shares.map((s: { id: string }) => s.id).sort();
    const x = expected.ids;
    expect(await ids('study=1.2.840.10008.1.3.1')).toEqual([x['two-resources']]);
    expect(await ids('orthanc-id=dddddddd-11111111-22222222-33333333-44444444')).toEqual([x['orthanc-id-only']]);
    expect(await ids('study=1.2.840.10008.1.1')).toEqual([x.active, x.expired, x.revoked].sort());
    expect(await ids('study=1.2.840.10008.1.1&active=true')).toEqual([x.active]);
    expect(await ids('type=volview-viewer-publication')).toEqual([x['revoked-expiring']]);
    expect(await ids('creator=alice')).toEqual([x.alice, x['alice-revoked']].sort());
    expect(await ids('creator=7d1e6a3c-1f0b-4c77-9a53-2c0f5a1e0a11&active=false')).toEqual([x['alice-revoked']]);
    // The Basic login share-user and the Keycloak user named share-user: both creators match.
    const byShareUser = await ids('creator=share-user&limit=500');
    expect(byShareUser).toContain(x['bearer-share-user']);
    expect(byShareUser).toContain(x.active);
    expect(byShareUser).not.toContain(x.alice);
  });

  it('goes on recording and revoking: a new share lists first, its revocation holds', async () => {
    const created = await createShare(svc.url, { study: '1.2.840.10008.9.9' });
    const first = await call(svc.url, 'GET', '/shares?limit=1');
    expect(first.body.shares[0].id).toBe(created.id);
    expect((await call(svc.url, 'DELETE', `/shares/${created.id}`)).status).toBe(200);
    expect(await validate(svc.url, created.token, '1.2.840.10008.9.9')).toBe(false);
    expect((await call(svc.url, 'DELETE', `/shares/${expected.ids.active}`)).body.status).toBe('revoked');
  });
}

describe('upgrading a SQLite registry of schema 1', () => {
  upgradeSuite('sqlite', async (dataDir) => {
    const file = join(dataDir, 'shares.sqlite');
    copyFileSync(join(FIXTURES, 'shares.sqlite'), file);
    chmodSync(file, 0o600);
    return {};
  });

  it('leaves no table of schema 1 behind, nor their pages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-upgrade-schema-'));
    try {
      copyFileSync(join(FIXTURES, 'shares.sqlite'), join(dir, 'shares.sqlite'));
      const store = new SqliteShareStore(join(dir, 'shares.sqlite'));
      await store.migrate();
      expect(await store.schemaVersion()).toBe(5);
      await store.close();
      const db = new Database(join(dir, 'shares.sqlite'), { readonly: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      const columns = (table: string) =>
        db
          .prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid')
          .all(table)
          .map((c: any) => c.name);
      const resources = columns('share_resources');
      const shares = columns('shares');
      // Compacted after the upgrade: the pages of schema 1's tables went back to the file system.
      const free = db.pragma('freelist_count', { simple: true });
      db.close();
      expect(free).toBe(0);
      expect(tables).toEqual([
        { name: 'schema_migrations' },
        { name: 'share_access_counts' },
        { name: 'share_access_days' },
        { name: 'share_access_events' },
        { name: 'share_creators' },
        { name: 'share_languages' },
        { name: 'share_protections' },
        { name: 'share_resources' },
        { name: 'share_unlock_counters' },
        { name: 'shares' },
      ]);
      // The resources live in share_resources alone, keyed by the share's integer key.
      expect(resources).toEqual(['share_pk', 'position', 'level', 'dicom_uid', 'orthanc_id', 'url']);
      expect(shares).not.toContain('resources');
      expect(shares[0]).toBe('pk');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('upgrading a PostgreSQL registry of schema 1', () => {
  let db: { url: string; drop(): Promise<void> };
  afterAll(() => db?.drop());

  upgradeSuite('postgres', async () => {
    db = await freshDatabase();
    // pg_dump's own psql meta-commands (\restrict) are not SQL.
    const dump = readFileSync(join(FIXTURES, 'postgres.sql'), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('\\'))
      .join('\n');
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(dump);
    } finally {
      await c.end();
    }
    return { DATABASE_URL: db.url };
  });
});
