import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { PgShareStore, REVOCATION_LOCK } from '@app/shares';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase, TEST_DATABASE_URL } from './support/postgres';
import { createShare, eventually, validate } from './support/shares';

/**
 * Two instances of the service on one PostgreSQL database, as behind a load balancer: a revocation made on one
 * reaches the other within a second (LISTEN/NOTIFY), also after the listening connection was cut.
 */
const vectors = JSON.parse(readFileSync(join(__dirname, 'fixtures/python-service.json'), 'utf8'));

describeWithPostgres('share revocation across replicas (PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: RunningApp;
  let b: RunningApp;
  const refusedOn = (svc: RunningApp, token: string) => async () => !(await validate(svc.url, token));

  beforeAll(async () => {
    db = await freshDatabase();
    // The Python service's key, so that its recorded tokens are valid here too.
    const env = { DATABASE_URL: db.url, SECRET_KEY: vectors.secret };
    a = await startApp(env); // one after the other: startApp swaps process.env while the app starts
    b = await startApp(env);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  it('a share created on A is listed on B; revoked on A, B refuses it within a second', async () => {
    const { token, id } = await createShare(a.url);
    expect(await validate(b.url, token)).toBe(true); // B has now verified and cached the token
    expect((await call(b.url, 'GET', `/shares/${id}`)).status).toBe(200);

    expect((await call(a.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    const ms = await eventually(refusedOn(b, token), 1000);
    expect(ms).toBeLessThanOrEqual(1000);
    expect(
      (await call(b.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token })).body['error-code'],
    ).toBe('invalid');
  });

  it('revoked on B, A refuses it within a second', async () => {
    const { token, id } = await createShare(a.url);
    expect(await validate(a.url, token)).toBe(true);
    expect((await call(b.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    expect(await eventually(refusedOn(a, token), 1000)).toBeLessThanOrEqual(1000);
  });

  it('a Python-service token revoked by hash on A is refused by B within a second', async () => {
    const c = vectors.cases.find((x: any) => x.name === 'ohif-viewer-publication/both/no-expiry');
    const probe = c.validate.find((p: any) => p.expected.granted === true);
    const token: string = c.create.reference.token;
    const ask = async () =>
      (await call(b.url, 'POST', '/tokens/validate', probe.body, { headers: probe.headers })).body.granted;
    expect(await ask()).toBe(true);
    const res = await call(a.url, 'POST', '/shares/revoke-token', { token });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^hash:[0-9a-f]{64}$/);
    expect(await eventually(async () => (await ask()) === false, 1000)).toBeLessThanOrEqual(1000);
  });

  it('after the listening connections are cut, the replicas reconnect and catch up with what they missed', async () => {
    const { token, id } = await createShare(a.url);
    expect(await validate(b.url, token)).toBe(true);
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'orthanc-auth-revocations'`,
      );
      expect(cut.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    // Revoked while B is not listening: the NOTIFY is lost for B, the resync on reconnection (after 1 s) finds it.
    expect((await call(a.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    await eventually(refusedOn(b, token), 5000);
    // And B listens again: the next revocation arrives by NOTIFY.
    const next = await createShare(a.url);
    expect(await validate(b.url, next.token)).toBe(true);
    await eventually(async () => {
      const { rows } = await withClient(
        db.url,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'orthanc-auth-revocations'`,
      );
      return rows[0].n === 2;
    }, 5000);
    expect((await call(a.url, 'DELETE', `/shares/${next.id}`)).status).toBe(200);
    expect(await eventually(refusedOn(b, next.token), 1000)).toBeLessThanOrEqual(1000);
  });
});

async function withClient(url: string, sql: string) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

describeWithPostgres('PostgreSQL migrations', () => {
  it('replicas migrating one database at the same time apply each version once', async () => {
    const db = await freshDatabase();
    const stores = [new PgShareStore(db.url), new PgShareStore(db.url), new PgShareStore(db.url)];
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      expect(await stores[0].schemaVersion()).toBe(5);
      const { rows } = await stores[0].pool.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    }
  });
});

describeWithPostgres('PostgreSQL revocation order', () => {
  it('a revocation waits for the one in flight: sequence numbers commit in order, so a resync from the last one misses none', async () => {
    const db = await freshDatabase();
    const store = new PgShareStore(db.url);
    const other = new Client({ connectionString: db.url });
    try {
      await store.migrate();
      await store.insert({
        id: 'waiting',
        tokenHash: 'ab'.repeat(32),
        type: 'stone-viewer-publication',
        resources: [{ dicomUid: '1.2.3', orthancId: null, url: null, level: 'study' }],
        creator: null,
        createdAt: new Date(),
        expiresAt: null,
      });
      // Another replica's revocation, holding the revocation lock in its transaction.
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1)', [REVOCATION_LOCK]);
      await other.query("SELECT nextval('shares_revoked_seq')");
      let done = false;
      const revoked = store.revoke('waiting', 'basic:test', new Date()).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(done).toBe(false);
      await other.query('COMMIT');
      const share = await revoked;
      expect(share?.revokedBy).toBe('basic:test');
      // It took the number after the other transaction's.
      expect(await store.revocationsAfter(1, new Date(), 10)).toEqual({
        entries: [{ id: 'waiting', tokenHash: '', seq: 2, expiresAt: null }],
        through: 2,
      });
      expect(await store.revocationsAfter(2, new Date(), 10)).toEqual({ entries: [], through: 2 });
    } finally {
      await other.end().catch(() => undefined);
      await store.close();
      await db.drop();
    }
  });
});

describeWithPostgres('PostgreSQL unreachable after start', () => {
  let db: { url: string; drop(): Promise<void> };
  let svc: RunningApp;
  const name = () => new URL(db.url).pathname.slice(1);

  beforeAll(async () => {
    db = await freshDatabase();
    svc = await startApp({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await svc?.close();
    await withClient(TEST_DATABASE_URL!, `ALTER DATABASE ${name()} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await db?.drop();
  });

  it('validate keeps answering from memory; creating and managing shares answer 503 JSON, not a link that cannot be revoked', async () => {
    const active = await createShare(svc.url);
    const revoked = await createShare(svc.url);
    expect((await call(svc.url, 'DELETE', `/shares/${revoked.id}`)).status).toBe(200);

    await withClient(TEST_DATABASE_URL!, `ALTER DATABASE ${name()} ALLOW_CONNECTIONS false`);
    await withClient(
      TEST_DATABASE_URL!,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name()}'`,
    );

    expect(await validate(svc.url, active.token)).toBe(true);
    expect(await validate(svc.url, revoked.token)).toBe(false);
    const create = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      type: 'stone-viewer-publication',
      resources: [{ 'dicom-uid': '1.2.3', level: 'study' }],
    });
    expect(create.status).toBe(503);
    expect(create.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: ['the share registry could not record the share; try again later'],
      errorId: expect.any(String),
    });
    const list = await call(svc.url, 'GET', '/shares');
    expect(list.status).toBe(503);
    expect(list.body.message).toEqual(['the share registry could not list the shares; try again later']);
  });
});
