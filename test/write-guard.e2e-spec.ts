import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../apps/auth-service/src/app.config';
import { createApp, CreatedApp } from '../apps/auth-service/src/setup-app';
import { writeGuardAddress } from '../apps/auth-service/src/write-guard/write-guard.route';
import { call, RunningApp, startApp, testEnv } from './support/app';
import { closeHttpServer, RawAnswer, rawRequest } from './support/net';

/**
 * The write guard on its own listener, asked as nginx's auth_request subrequest asks it (GET, the original request's
 * headers, X-Original-Method and X-Original-URI): every write a share token could be granted is refused, reads and
 * users' writes are allowed. The recorded Orthanc requests of test/fixtures/plugin-traces are replayed through it.
 */

const TRACES = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/plugin-traces/orthanc-1.12.7-authorization-0.11.4.json'), 'utf8'),
) as {
  scenarios: Array<{
    name: string;
    group: string;
    token: { token: string } | null;
    'orthanc-request': { method: string; path: string; headers?: Record<string, string> };
  }>;
};
const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const USER_JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJwcmVmZXJyZWRfdXNlcm5hbWUiOiJkb2N0b3IifQ.c2lnbmF0dXJlLW9mLXRoZS1yZWFsbQ';

/** The guard's answer; `json` left loose, as the assertions read into it. */
type Answer = Omit<RawAnswer, 'json'> & { json: any };

/** A request to a listener, headers as given (an array keeps repeated names; Host is added to it). */
function ask(port: number, path: string, headers: string[] | Record<string, string>, method = 'GET'): Promise<Answer> {
  if (Array.isArray(headers)) headers = ['Host', `127.0.0.1:${port}`, ...headers];
  return rawRequest({ host: '127.0.0.1', port, path, method, headers });
}

describe('write guard (its own listener, asked as nginx asks it)', () => {
  let svc: RunningApp;
  let guardPort: number;
  let share: string;
  let oldKeyShare: string;
  let old: RunningApp;
  const guard = (method: string, uri: string, headers: Record<string, string> = {}) =>
    ask(guardPort, '/write-guard', { ...headers, 'X-Original-Method': method, 'X-Original-URI': uri });
  const body = (resources = [{ 'dicom-uid': '1.2.3', 'orthanc-id': A, level: 'study' }]) => ({
    id: 'guard',
    resources,
    type: 'viewer-instant-link',
  });

  beforeAll(async () => {
    // A link signed by the previous key: made by a service still on it.
    old = await startApp({ SECRET_KEY: 'the-previous-key-of-this-site' });
    oldKeyShare = (await call(old.url, 'PUT', '/tokens/viewer-instant-link', body())).body.token;
    await old.close();
    svc = await startApp(
      {
        WRITE_GUARD_PORT: '0',
        PREVIOUS_SECRET_KEYS: 'the-previous-key-of-this-site,my-secret-key',
        LOG_LEVEL: 'trace',
      },
      { captureLogs: true },
    );
    guardPort = writeGuardAddress(svc.app)!.port;
    share = (await call(svc.url, 'PUT', '/tokens/viewer-instant-link', body())).body.token;
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('listens on its own port, on 127.0.0.1 by default, and serves nothing else there', async () => {
    const address = writeGuardAddress(svc.app)!;
    expect(address.address).toBe('127.0.0.1');
    expect(address.port).not.toBe(Number(new URL(svc.url).port));
    for (const path of ['/tokens/validate', '/health', '/write-guardx', '/']) {
      const res = await ask(guardPort, path, {
        authorization: `Basic ${Buffer.from('share-user:change-me').toString('base64')}`,
      });
      expect({ path, status: res.status, type: res.contentType }).toEqual({
        path,
        status: 404,
        type: expect.stringMatching(/^application\/json/),
      });
    }
  });

  it('does not exist on the main port (404), not even for a Basic caller', async () => {
    const res = await call(svc.url, 'GET', '/write-guard', undefined, {
      headers: { 'x-original-method': 'GET', 'x-original-uri': '/studies' },
    });
    expect(res.status).toBe(404);
  });

  it('refuses every write that carries a share token, wherever the token is', async () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['DELETE', `/orthanc/studies/${A}`, { token: share }],
      ['POST', `/orthanc/studies/${A}/modify`, { token: share }],
      ['POST', `/orthanc/studies/${A}/anonymize`, { 'api-key': share }],
      ['POST', `/orthanc/studies/${A}/merge`, { authorization: `Bearer ${share}` }],
      ['POST', `/orthanc/studies/${A}/split`, {}],
      ['PUT', `/orthanc/studies/${A}/metadata/1024`, { 'x-custom-token': share }],
      ['POST', '/orthanc/tools/bulk-delete', { token: share }],
      ['POST', '/orthanc/dicom-web/studies?StudyInstanceUID=1.2.3', { token: share }],
    ];
    for (const [method, path, headers] of cases) {
      const uri = Object.keys(headers).length ? path : `${path}?token=${encodeURIComponent(share)}`;
      const res = await guard(method, uri, headers);
      expect({ method, path, status: res.status, body: res.json }).toEqual({
        method,
        path,
        status: 403,
        body: {
          statusCode: 403,
          error: 'Forbidden',
          message: [expect.stringContaining('a share token may not write')],
        },
      });
    }
  });

  it('judges the path Orthanc will route and any occurrence of a token in the query (issue 24)', async () => {
    // A write dressed as a read: nginx's old map skipped the guard for it; the guard never did.
    const dressed = await guard('POST', `/shares/studies/${A}/modify%3F/tools/find`, { token: share });
    expect(dressed.status).toBe(403);
    expect((await guard('POST', `/shares/tools/find#/../../studies/${A}/modify`, { token: share })).status).toBe(403);
    const variants = [
      `?token=${share}%00`,
      `?token=${share}#`,
      `?x=#&token=${share}`,
      `?token=${share};x=1`,
      `?a=1;token=${share}`,
      `?TOKEN=${share}`,
      `?Token=x&token=${share}&token=y`,
      `?token=${encodeURIComponent(share)}%0A`,
    ];
    for (const query of variants) {
      const res = await guard('DELETE', `/orthanc/studies/${A}${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 403 });
    }
    // Without a token anywhere, the same dressed writes go on to the plugin's own checks.
    expect((await guard('POST', `/shares/studies/${A}/modify%3F/tools/find`)).status).toBe(200);
    expect((await guard('DELETE', `/orthanc/studies/${A}?token=not-a-token%00`)).status).toBe(200);
  });

  it('refuses a share token of the previous key, and a revoked one: what the token is, not what it may still do', async () => {
    expect((await guard('DELETE', `/studies/${A}`, { token: oldKeyShare })).status).toBe(403);
    const revoked = (await call(svc.url, 'PUT', '/tokens/viewer-instant-link', body())).body.token;
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: revoked })).status).toBe(200);
    expect((await guard('DELETE', `/studies/${A}`, { token: revoked })).status).toBe(403);
  });

  it("allows reads with a share token, and writes with a user's bearer token, an api-key, Basic or nothing", async () => {
    const allowed: Array<[string, string, Record<string, string>]> = [
      ['GET', `/orthanc/dicom-web/studies/1.2.3/series?token=${share}`, {}],
      ['GET', `/orthanc/studies/${A}/archive`, { token: share }],
      ['HEAD', `/orthanc/studies/${A}`, { token: share }],
      ['POST', '/orthanc/tools/find', { token: share }],
      ['POST', `/orthanc/studies/${A}/archive`, { token: share }],
      ['DELETE', `/orthanc/studies/${A}`, { authorization: `Bearer ${USER_JWT}` }],
      ['POST', `/orthanc/studies/${A}/modify`, { token: USER_JWT }],
      ['PUT', `/orthanc/studies/${A}/metadata/1024`, { 'api-key': 'an-api-key-of-a-keycloak-user' }],
      ['DELETE', `/orthanc/studies/${A}`, { authorization: 'Basic b3J0aGFuYzpvcnRoYW5j' }],
      ['POST', `/orthanc/studies/${A}/modify`, {}],
    ];
    for (const [method, uri, headers] of allowed) {
      const res = await guard(method, uri, headers);
      expect({ method, uri, status: res.status, body: res.json }).toEqual({
        method,
        uri,
        status: 200,
        body: { allowed: true },
      });
    }
  });

  it('fails closed (400 naming the header) when the proxy does not send its two headers once each', async () => {
    const missing = await ask(guardPort, '/write-guard', { token: share, 'X-Original-Method': 'DELETE' });
    expect(missing.status).toBe(400);
    expect(missing.json.message).toEqual([expect.stringContaining('X-Original-URI')]);
    const twice = await ask(guardPort, '/write-guard', [
      'X-Original-Method',
      'DELETE',
      'X-Original-URI',
      `/studies/${A}`,
      'X-Original-URI',
      '/tools/find',
      'token',
      share,
    ]);
    expect(twice.status).toBe(400);
    expect(twice.json.message).toEqual([expect.stringContaining('X-Original-URI')]);
  });

  it('answers whatever method the subrequest uses', async () => {
    for (const method of ['GET', 'POST', 'DELETE', 'HEAD']) {
      const res = await ask(
        guardPort,
        '/write-guard',
        { 'X-Original-Method': 'DELETE', 'X-Original-URI': `/studies/${A}`, token: share },
        method,
      );
      expect({ method, status: res.status }).toEqual({ method, status: 403 });
    }
  });

  it("refuses every recorded write scenario's Orthanc request and allows every recorded read", async () => {
    const decided: Record<string, number> = {};
    for (const s of TRACES.scenarios) {
      const r = s['orthanc-request'];
      const res = await guard(r.method, `/orthanc${r.path}`, r.headers ?? {});
      decided[s.name] = res.status;
    }
    const expected = Object.fromEntries(
      TRACES.scenarios.map((s) => [
        s.name,
        // A write with a share token is refused; anything else goes on to the plugin (the anonymous PUT
        // /auth/tokens/... carries no token; the plugin refuses it).
        s.group === 'write' ? 403 : 200,
      ]),
    );
    expect(decided).toEqual(expected);
    expect(Object.values(decided).filter((s) => s === 403)).toHaveLength(7);
  });

  it('never writes a token to the logs, even at trace level', async () => {
    await guard('DELETE', `/studies/${A}?token=${share}`, { token: share, authorization: `Bearer ${USER_JWT}` });
    await guard('POST', `/studies/${A}/modify`, { 'api-key': share });
    const text = svc.logs.join('');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [share, oldKeyShare, USER_JWT, share.split('.')[2], USER_JWT.split('.')[1]])
      expect(text).not.toContain(secret);
  });
});

describe('write guard settings', () => {
  it('is off unless WRITE_GUARD_PORT is set: no listener, no route', async () => {
    const svc = await startApp();
    try {
      expect(writeGuardAddress(svc.app)).toBeNull();
      expect((await call(svc.url, 'GET', '/write-guard')).status).toBe(404);
    } finally {
      await svc.close();
    }
  });

  it('follows URL_PREFIX', async () => {
    const svc = await startApp({ WRITE_GUARD_PORT: '0', URL_PREFIX: '/auth' });
    try {
      const port = writeGuardAddress(svc.app)!.port;
      const headers = { 'X-Original-Method': 'DELETE', 'X-Original-URI': '/studies/x' };
      expect((await ask(port, '/auth/write-guard', headers)).json).toEqual({ allowed: true });
      expect((await ask(port, '/write-guard', headers)).status).toBe(404);
    } finally {
      await svc.close();
    }
  });

  it('refuses to start on a port in use, naming the settings', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-guard-'));
    let created: CreatedApp | undefined;
    try {
      const port = String((busy.address() as { port: number }).port);
      created = await createApp(await loadAppConfig({ env: testEnv(dataDir, { WRITE_GUARD_PORT: port }) }), {
        logger: false,
      });
      await expect(created.app.listen(0, '127.0.0.1')).rejects.toThrow(
        /the write guard cannot listen on 127\.0\.0\.1:\d+ \(WRITE_GUARD_HOST, WRITE_GUARD_PORT\): .*EADDRINUSE/,
      );
    } finally {
      await created?.app.close();
      await closeHttpServer(busy);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on the main PORT or a port that is not a number, naming the variable', async () => {
    await expect(startApp({ WRITE_GUARD_PORT: '8000', PORT: '8000' })).rejects.toThrow(
      /WRITE_GUARD_PORT must differ from PORT/,
    );
    await expect(startApp({ WRITE_GUARD_PORT: 'eighty' })).rejects.toThrow(/WRITE_GUARD_PORT expects an integer/);
  });
});
