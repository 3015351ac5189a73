import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { describeWithPostgres, freshDatabase } from './support/postgres';
import { createShare, decodeError, ORTHANC_ID, shareIdOf, STUDY_UID, validate } from './support/shares';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/**
 * The share registry over HTTP, on each storage: a share is recorded when created, listed, revoked (validate then
 * refuses it and decode calls it invalid), and the revocation survives a restart.
 */
interface Storage {
  env: Record<string, string>;
  drop(): Promise<void>;
}

function registrySuite(openStorage: () => Promise<Storage>): void {
  let storage: Storage;
  let dataDir: string;
  let svc: RunningApp;
  const start = () => startApp({ ...storage.env, DATA_DIR: dataDir, PUBLIC_OHIF_ROOT: 'http://localhost/ohif/' });

  beforeAll(async () => {
    storage = await openStorage();
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-shares-'));
    svc = await start();
  });
  afterAll(async () => {
    await svc?.close();
    await storage?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('create -> validate granted -> revoke -> validate refused, decode invalid; revoking again changes nothing', async () => {
    const { token, id } = await createShare(svc.url);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await validate(svc.url, token)).toBe(true);
    expect(await decodeError(svc.url, token)).toBeNull();

    const shown = await call(svc.url, 'GET', `/shares/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id,
      status: 'active',
      type: 'stone-viewer-publication',
      'revoked-at': null,
      'revoked-by': null,
      'expires-at': null,
      resources: [{ 'dicom-uid': STUDY_UID, 'orthanc-id': ORTHANC_ID, url: null, level: 'study' }],
      creator: { kind: 'basic', name: 'share-user', 'user-id': null },
    });
    expect(Date.parse(shown.body['created-at'])).toBeGreaterThan(Date.now() - 60_000);

    const revoked = await call(svc.url, 'DELETE', `/shares/${id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', 'revoked-by': 'basic:share-user' });
    expect(await validate(svc.url, token)).toBe(false);
    expect(await decodeError(svc.url, token)).toBe('invalid');

    const again = await call(svc.url, 'DELETE', `/shares/${id}`);
    expect(again.status).toBe(200);
    expect(again.body['revoked-at']).toBe(revoked.body['revoked-at']);
  });

  it('revokes one share only: another link to the same study keeps working', async () => {
    const a = await createShare(svc.url);
    const b = await createShare(svc.url);
    expect((await call(svc.url, 'DELETE', `/shares/${a.id}`)).status).toBe(200);
    expect(await validate(svc.url, a.token)).toBe(false);
    expect(await validate(svc.url, b.token)).toBe(true);
  });

  it('revokes a token of this service by its hash too (POST /shares/revoke-token)', async () => {
    const { token, id } = await createShare(svc.url);
    const res = await call(svc.url, 'POST', '/shares/revoke-token', { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'revoked' }); // the recorded share, not a new hash: row
    expect(await validate(svc.url, token)).toBe(false);
  });

  it('keeps revocations across a restart (loaded from the storage at start)', async () => {
    const { token, id } = await createShare(svc.url);
    const kept = await createShare(svc.url);
    expect((await call(svc.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    await svc.close();
    svc = await start();
    expect(await validate(svc.url, token)).toBe(false);
    expect(await decodeError(svc.url, token)).toBe('invalid');
    expect(await validate(svc.url, kept.token)).toBe(true);
  });

  describe('GET /shares filters', () => {
    const studyA = '1.2.3.4.100';
    const studyB = '1.2.3.4.200';
    let a1: string, a2: string, b1: string, expired: string;
    beforeAll(async () => {
      a1 = (await createShare(svc.url, { study: studyA, orthancId: 'oid-a' })).id;
      a2 = (await createShare(svc.url, { study: studyA, orthancId: 'oid-a', type: 'ohif-viewer-publication' })).id;
      b1 = (await createShare(svc.url, { study: studyB, orthancId: 'oid-b', type: 'viewer-instant-link' })).id;
      expired = (await createShare(svc.url, { study: studyB, orthancId: 'oid-b', duration: 0 })).id;
      expect((await call(svc.url, 'DELETE', `/shares/${a2}`)).status).toBe(200);
    });
    const ids = async (query: string) => {
      const res = await call(svc.url, 'GET', `/shares?${query}`);
      expect(res.status).toBe(200);
      return res.body.shares.map((s: { id: string }) => s.id).sort();
    };

    it('by study (dicom uid) and by orthanc id', async () => {
      expect(await ids(`study=${studyA}`)).toEqual([a1, a2].sort());
      expect(await ids('orthanc-id=oid-b')).toEqual([b1, expired].sort());
      expect(await ids('study=1.2.3.4.999')).toEqual([]);
    });

    it('by type, by creator, by activity', async () => {
      expect(await ids(`study=${studyA}&type=ohif-viewer-publication`)).toEqual([a2]);
      expect(await ids(`study=${studyB}&creator=share-user`)).toEqual([b1, expired].sort());
      expect(await ids(`study=${studyB}&creator=someone-else`)).toEqual([]);
      expect(await ids(`study=${studyA}&active=true`)).toEqual([a1]);
      expect(await ids(`study=${studyA}&active=false`)).toEqual([a2]);
      expect(await ids(`study=${studyB}&active=false`)).toEqual([expired]);
      const res = await call(svc.url, 'GET', `/shares?orthanc-id=oid-b`);
      expect(res.body.shares.find((s: { id: string }) => s.id === expired).status).toBe('expired');
    });

    it('pages with limit and cursor, newest first; counts only when asked', async () => {
      const first = await call(svc.url, 'GET', '/shares?limit=2');
      expect(first.body).toMatchObject({ limit: 2, 'next-cursor': expect.any(String) });
      expect(first.body).not.toHaveProperty('total');
      expect(first.body.shares).toHaveLength(2);
      expect(first.body.shares[0].id).toBe(expired); // the last one created
      const all = await call(svc.url, 'GET', `/shares?limit=500&count=true`);
      expect(all.body.total).toBe(all.body.shares.length);
      expect(all.body['total-exact']).toBe(true);
      expect(all.body['next-cursor']).toBeNull();
      const next = await call(svc.url, 'GET', `/shares?limit=2&cursor=${first.body['next-cursor']}`);
      expect(next.body.shares.map((s: { id: string }) => s.id)).toEqual(
        all.body.shares.slice(2, 4).map((s: { id: string }) => s.id),
      );
      // Walking every page with the cursor gives every share once, in order.
      const walked: string[] = [];
      for (let cursor = ''; ;) {
        const page = await call(svc.url, 'GET', `/shares?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        walked.push(...page.body.shares.map((s: { id: string }) => s.id));
        if (!page.body['next-cursor']) break;
        cursor = page.body['next-cursor'];
      }
      expect(walked).toEqual(all.body.shares.map((s: { id: string }) => s.id));
      // With a filter, the cursor continues that filter's listing.
      const byStudy = await call(svc.url, 'GET', `/shares?study=${studyA}&limit=1&count=true`);
      expect(byStudy.body).toMatchObject({ total: 2, 'total-exact': true });
      const rest = await call(svc.url, 'GET', `/shares?study=${studyA}&limit=1&cursor=${byStudy.body['next-cursor']}`);
      expect([byStudy.body.shares[0].id, rest.body.shares[0].id].sort()).toEqual([a1, a2].sort());
      expect(rest.body['next-cursor']).toBeNull();
    });
  });

  describe('errors are JSON', () => {
    it('404 for an unknown id, on GET and DELETE', async () => {
      for (const method of ['GET', 'DELETE']) {
        const res = await call(svc.url, method, '/shares/no-such-share');
        expect(res.status).toBe(404);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: ['no share with the id "no-such-share"'],
        });
      }
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=50', 'cursor'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('{"before":0}').toString('base64url')}`, 'cursor'],
      ['count=yes', 'count'],
      ['active=maybe', 'active'],
      ['type=bogus-type', 'type'],
      ['study=', 'study'],
    ])('400 naming the field for ?%s', async (query, field) => {
      const res = await call(svc.url, 'GET', `/shares?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it.each([
      ['no token', {}, 'token'],
      ['a number', { token: 42 }, 'token'],
      ['not a share token', { token: 'not-a-jwt' }, 'SECRET_KEY'],
    ])('400 for revoke-token with %s', async (_n, body, text) => {
      const res = await call(svc.url, 'POST', '/shares/revoke-token', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(text);
    });

    it('400 for a body that is not a JSON object', async () => {
      const res = await call(svc.url, 'POST', '/shares/revoke-token', undefined, {
        raw: '["x"]',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
    });

    it('401 without credentials', async () => {
      expect((await call(svc.url, 'GET', '/shares', undefined, { auth: null })).status).toBe(401);
      expect((await call(svc.url, 'DELETE', '/shares/x', undefined, { auth: null })).status).toBe(401);
    });
  });
}

describe('share registry on SQLite', () => {
  registrySuite(async () => ({ env: {}, drop: async () => undefined }));

  it('writes shares.sqlite in DATA_DIR, or at SHARES_SQLITE_PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-sqlite-'));
    const svc = await startApp({ DATA_DIR: dir, SHARES_SQLITE_PATH: join(dir, 'elsewhere', 'registry.db') });
    try {
      await createShare(svc.url);
      const { existsSync } = await import('node:fs');
      expect(existsSync(join(dir, 'elsewhere', 'registry.db'))).toBe(true);
      expect(existsSync(join(dir, 'shares.sqlite'))).toBe(false);
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('share registry on PostgreSQL', () => {
  registrySuite(async () => {
    const db = await freshDatabase();
    return { env: { DATABASE_URL: db.url }, drop: db.drop };
  });
});

describe('with ENABLE_SHARES_REGISTRY=false', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ ENABLE_SHARES_REGISTRY: 'false' });
  });
  afterAll(() => svc.close());

  it('tokens carry no share_id, still validate, and the admin API says the registry is off', async () => {
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      type: 'stone-viewer-publication',
      resources: [{ 'dicom-uid': STUDY_UID, level: 'study' }],
    });
    expect(shareIdOf(res.body.token)).toBeUndefined();
    expect(await validate(svc.url, res.body.token, STUDY_UID, undefined as unknown as string)).toBe(true);
    const list = await call(svc.url, 'GET', '/shares');
    expect(list.status).toBe(503);
    expect(list.body.message).toEqual([expect.stringContaining('ENABLE_SHARES_REGISTRY')]);
  });
});
