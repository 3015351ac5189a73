import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { call, RunningApp, startApp } from './support/app';
import { createShare, decodeError, validate } from './support/shares';

/**
 * Links issued before the registry keep working and stay revocable: the Python service's tokens (no share_id) are
 * revoked by their hash, and a SECRET_KEY rotation keeps old links valid through PREVIOUS_SECRET_KEYS.
 */
const vectors = JSON.parse(readFileSync(join(__dirname, 'fixtures/python-service.json'), 'utf8'));
const pythonCase = (name: string) => {
  const c = vectors.cases.find((x: any) => x.name === name);
  return { token: c.create.reference.token as string, probe: c.validate.find((p: any) => p.expected.granted === true) };
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Python-service tokens revoked by hash', () => {
  let dataDir: string;
  let svc: RunningApp;
  const start = () =>
    startApp({
      DATA_DIR: dataDir,
      SECRET_KEY: vectors.secret,
      USERS: JSON.stringify(vectors.users),
      ...vectors.config,
    });
  const granted = async (p: { token: string; probe: any }) =>
    (await call(svc.url, 'POST', '/tokens/validate', p.probe.body, { headers: p.probe.headers })).body.granted;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-python-'));
    svc = await start();
  });
  afterAll(async () => {
    await svc?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('revokes a Python token (validate refuses it, decode says invalid); the other Python links keep working', async () => {
    const revoked = pythonCase('stone-viewer-publication/both/no-expiry');
    const other = pythonCase('stone-viewer-publication/uid-only/no-expiry');
    expect(await granted(revoked)).toBe(true);
    expect(await granted(other)).toBe(true);

    const res = await call(svc.url, 'POST', '/shares/revoke-token', { token: `Bearer ${revoked.token}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: `hash:${sha256(revoked.token)}`,
      status: 'revoked',
      type: 'stone-viewer-publication',
      creator: null,
      'created-at': null,
      'token-hash': sha256(revoked.token),
      'revoked-by': 'basic:share-user',
    });
    expect(res.body.resources[0]['dicom-uid']).toBe('1.2.840.113619.2.55.3.1');

    expect(await granted(revoked)).toBe(false);
    expect(await decodeError(svc.url, revoked.token)).toBe('invalid');
    expect(await granted(other)).toBe(true);

    const again = await call(svc.url, 'POST', '/shares/revoke-token', { token: revoked.token });
    expect(again.body['revoked-at']).toBe(res.body['revoked-at']);
    const shown = await call(svc.url, 'GET', `/shares/${encodeURIComponent(res.body.id)}`);
    expect(shown.status).toBe(200);
    expect(
      (await call(svc.url, 'GET', '/shares?study=1.2.840.113619.2.55.3.1&active=false')).body.shares.map(
        (s: any) => s.id,
      ),
    ).toContain(res.body.id);
  });

  it('the revocation by hash survives a restart', async () => {
    const revoked = pythonCase('ohif-viewer-publication/two/no-expiry');
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: revoked.token })).status).toBe(200);
    await svc.close();
    svc = await start();
    expect(await granted(revoked)).toBe(false);
    expect(await granted(pythonCase('volview-viewer-publication/both/no-expiry'))).toBe(true);
  });

  it('refuses to revoke a tampered token (400) rather than recording garbage', async () => {
    const res = await call(svc.url, 'POST', '/shares/revoke-token', { token: vectors.tampered[0].body['token-value'] });
    expect(res.status).toBe(400);
  });
});

describe('SECRET_KEY rotation keeps links valid (PREVIOUS_SECRET_KEYS)', () => {
  const OLD = 'the-old-secret-key-of-this-site-0001';
  const NEW = 'the-new-secret-key-of-this-site-0002';
  let dataDir: string;
  const running: RunningApp[] = [];
  const start = async (env: Record<string, string>) => {
    const svc = await startApp({ DATA_DIR: dataDir, ...env });
    running.push(svc);
    return svc;
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-rotation-'));
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a link signed with the old key validates after rotation, stays revocable, and new links use the new key', async () => {
    const before = await start({ SECRET_KEY: OLD });
    const old = await createShare(before.url);
    const revocable = await createShare(before.url);
    expect(await validate(before.url, old.token)).toBe(true);
    await before.close();
    running.pop();

    // Rotated without PREVIOUS_SECRET_KEYS: every old link dies (what the setting is for).
    const careless = await start({ SECRET_KEY: NEW });
    expect(await validate(careless.url, old.token)).toBe(false);
    await careless.close();
    running.pop();

    const after = await start({ SECRET_KEY: NEW, PREVIOUS_SECRET_KEYS: JSON.stringify([OLD]) });
    expect(await validate(after.url, old.token)).toBe(true);
    expect(await decodeError(after.url, old.token)).toBeNull();
    // The old link's share is still in the registry and can be taken back.
    expect((await call(after.url, 'DELETE', `/shares/${revocable.id}`)).status).toBe(200);
    expect(await validate(after.url, revocable.token)).toBe(false);
    expect(await validate(after.url, old.token)).toBe(true);

    // New links are signed with the new key: a service that knows only the old key refuses them.
    const fresh = await createShare(after.url);
    expect(await validate(after.url, fresh.token)).toBe(true);
    const oldOnly = await start({ SECRET_KEY: OLD });
    expect(await validate(oldOnly.url, fresh.token)).toBe(false);
  });

  it("the Python service's links stay valid when its key becomes a previous key", async () => {
    const svc = await start({ SECRET_KEY: NEW, PREVIOUS_SECRET_KEYS: vectors.secret, ...vectors.config });
    const p = pythonCase('stone-viewer-publication/both/no-expiry');
    const res = await call(svc.url, 'POST', '/tokens/validate', p.probe.body, { headers: p.probe.headers });
    expect(res.body.granted).toBe(true);
    // ... and can still be revoked by hash (its signature is checked with the previous key).
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: p.token })).status).toBe(200);
    expect(
      (await call(svc.url, 'POST', '/tokens/validate', p.probe.body, { headers: p.probe.headers })).body.granted,
    ).toBe(false);
  });
});

describe('a token of this service that another registry recorded', () => {
  it('is revoked under its share_id (validate then refuses it without hashing tokens)', async () => {
    const env = { SECRET_KEY: 'one-key-two-registries-0003' };
    // One after the other: startApp swaps process.env while the app starts. Two data folders: two registries.
    const first = await startApp(env);
    const second = await startApp(env);
    try {
      const { token, id } = await createShare(first.url);
      expect((await call(second.url, 'GET', `/shares/${id}`)).status).toBe(404);
      const res = await call(second.url, 'POST', '/shares/revoke-token', { token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id,
        status: 'revoked',
        creator: null,
        'created-at': null,
        'token-hash': sha256(token),
      });
      expect(await validate(second.url, token)).toBe(false);
      expect(await validate(first.url, token)).toBe(true); // the other registry was not told
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
