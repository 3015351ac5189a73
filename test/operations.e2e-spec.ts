import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VALIDATE_TOKEN_BODY } from '@app/tokens';
import { GET_PROFILE_BODY } from '../apps/auth-service/src/profiles/get-profile.dto';
import { call, RunningApp, startApp } from './support/app';
import { closedPort } from './support/net';
import { startOidcProvider, TestOidcProvider } from './support/oidc-provider';
import { FakeMedDreamTokenService } from './support/meddream-token-service';
import { SmtpTestServer } from './support/smtp-test-server';

const STUDY = { 'dicom-uid': '1.2.3', 'orthanc-id': 'o-1', level: 'study' };
const validateBody = (token: string | null, over: Record<string, unknown> = {}) => ({
  'dicom-uid': '1.2.3',
  'orthanc-id': 'o-1',
  level: 'study',
  method: 'get',
  'token-key': 'token',
  'token-value': token,
  ...over,
});

/** The value of one sample of the exposition text (0 when the series does not exist yet). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const metrics = async (svc: RunningApp) => (await call(svc.url, 'GET', '/metrics')).text;

describe('OpenAPI document (/docs-json)', () => {
  let svc: RunningApp;
  let doc: any;
  beforeAll(async () => {
    svc = await startApp({ LOG_LEVEL: 'debug' }, { captureLogs: true });
    const res = await call(svc.url, 'GET', '/docs-json', undefined, { auth: null });
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => svc.close());

  it('documents every route Nest mapped, plus the plain fastify routes of the hot path', () => {
    // The routes as Nest's router logged them at start-up ("Mapped {/tokens/:type, PUT} route"): not a list kept here.
    const mapped = svc.logs
      .map((l) => JSON.parse(l).msg as string)
      .map((m) => /^Mapped \{(\S+), (\w+)\} route$/.exec(m))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, path, method]) => `${method.toLowerCase()} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    expect(mapped.length).toBeGreaterThanOrEqual(12);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m} ${path}`),
    );
    const fastifyRoutes = ['post /tokens/validate', 'post /user/get-profile'];
    expect(documented).toEqual(expect.arrayContaining([...mapped, ...fastifyRoutes]));
    expect(documented.sort()).toEqual([...new Set([...mapped, ...fastifyRoutes])].sort());
  });

  it('gives every operation a summary and a 2xx answer with a schema, and every body a schema', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method} ${path}`;
        expect([where, typeof op.summary]).toEqual([where, 'string']);
        const ok = op.responses['200'] ?? op.responses['201'];
        expect([where, Object.values<any>(ok?.content ?? {}).some((c) => c.schema)]).toEqual([where, true]);
        // JSON bodies, and the share page's HTML forms (urlencoded).
        if (op.requestBody)
          expect([where, Object.values<any>(op.requestBody.content).every((c) => Boolean(c.schema))]).toEqual([
            where,
            true,
          ]);
      }
    }
  });

  it('describes the plain fastify routes from the route descriptions they are registered from', () => {
    const op = doc.paths['/tokens/validate'].post;
    expect(op.security).toEqual([{ basic: [] }]);
    expect(op.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ValidateTokenBody',
    });
    // The schema the route validates with, shown as OpenAPI 3.0 can (no if/else: the other spellings are described).
    const schema = doc.components.schemas.ValidateTokenBody;
    expect(schema.properties).toEqual(JSON.parse(JSON.stringify(VALIDATE_TOKEN_BODY.properties)));
    expect(schema.required).toEqual(['level', 'method']);
    expect(JSON.stringify(schema)).not.toMatch(/"(if|then|else)"/);
    expect(schema.properties['dicom-uid'].description).toMatch(/dicom_uid accepted too/);
    expect(op.responses['200'].content['application/json'].schema.properties).toEqual({
      granted: { type: 'boolean' },
      validity: expect.any(Object),
    });
    expect(op.responses['400'].content['application/json'].schema.properties.message.type).toBe('array');
    expect(op.requestBody.content['application/json'].examples.plugin.value).toHaveProperty('token-key');
    const profile = doc.paths['/user/get-profile'].post;
    expect(profile.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/GetProfileBody');
    expect(doc.components.schemas.GetProfileBody).toEqual(JSON.parse(JSON.stringify(GET_PROFILE_BODY)));
    // 413 and 500 are every route's (openapi.ts adds them in one pass, in the one error shape).
    expect(Object.keys(profile.responses).sort()).toEqual(['200', '400', '401', '413', '500', '503']);
  });

  it('keeps the kebab-case names of the other bodies', () => {
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties);
    expect(props('CreateTokenDto')).toEqual(
      expect.arrayContaining(['resources', 'type', 'expiration-date', 'validity-duration']),
    );
    expect(props('ResourceDto')).toEqual(expect.arrayContaining(['dicom-uid', 'orthanc-id', 'level']));
    expect(props('DecodeTokenDto')).toEqual(expect.arrayContaining(['token-key', 'token-value']));
    expect(props('SendEmailDto')).toEqual(
      expect.arrayContaining(['destination-email', 'email-title', 'email-content', 'layout-template']),
    );
  });

  it('declares Basic and bearer, and says which routes take which', () => {
    expect(doc.components.securitySchemes).toEqual({
      basic: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    // Any OpenID provider, not only a Keycloak realm.
    expect(doc.components.securitySchemes.bearer.description).toMatch(/access token of the OpenID provider/);
    expect(doc.paths['/settings/roles'].put.description).toMatch(/access token of the OpenID provider/);
    expect(doc.paths['/tokens/{type}'].put.security).toEqual([{ basic: [] }, { bearer: [] }]);
    expect(doc.paths['/settings/roles'].put.security).toEqual([{ basic: [] }, { bearer: [] }]);
    expect(doc.paths['/shares'].get.security).toEqual([{ basic: [] }, { bearer: [] }]);
    expect(doc.paths['/tokens/decode'].post.security).toEqual([{ basic: [] }]);
    expect(doc.paths['/user/get-profile'].post.security).toEqual([{ basic: [] }]);
    expect(doc.paths['/metrics'].get.security).toEqual([{ basic: [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/ready'].get.security).toEqual([]);
  });

  it('serves the Swagger UI at /docs, its files by name only', async () => {
    const page = await call(svc.url, 'GET', '/docs', undefined, { auth: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui-bundle.js');
    const bundle = await fetch(`${svc.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await call(svc.url, 'GET', '/docs/package.json', undefined, { auth: null })).status).toBe(404);
    expect((await call(svc.url, 'GET', '/docs/..%2fpackage.json', undefined, { auth: null })).status).toBe(404);
  });

  it('follows URL_PREFIX', async () => {
    const prefixed = await startApp({ URL_PREFIX: '/auth' });
    try {
      expect(prefixed.url).toMatch(/\/auth$/);
      const res = await call(prefixed.url, 'GET', '/docs-json', undefined, { auth: null });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining(['/auth/tokens/validate', '/auth/tokens/{type}', '/auth/ready', '/auth/metrics']),
      );
      expect(res.body.paths['/auth/metrics'].get.security).toEqual([{ basic: [] }]);
      expect((await call(prefixed.url, 'GET', '/docs', undefined, { auth: null })).text).toContain(
        '/auth/docs/swagger-ui-bundle.js',
      );
    } finally {
      await prefixed.close();
    }
  });

  it('is not served with ENABLE_DOCS=false', async () => {
    const off = await startApp({ ENABLE_DOCS: 'false' });
    try {
      expect((await call(off.url, 'GET', '/docs-json')).status).toBe(404);
      expect((await call(off.url, 'GET', '/docs')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('readiness (/ready)', () => {
  it('is ok with its checks listed, without credentials', async () => {
    const svc = await startApp();
    try {
      const res = await call(svc.url, 'GET', '/ready', undefined, { auth: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        info: { config: { status: 'up' }, roles: { status: 'up' }, shares: { status: 'up' } },
      });
      expect(res.body.info).not.toHaveProperty('keycloak');
    } finally {
      await svc.close();
    }
  });

  it('answers 503 naming the roles file when it cannot be read, and recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-ready-'));
    const roles = join(dir, 'permissions.json');
    writeFileSync(roles, JSON.stringify({ roles: {}, 'available-labels': [] }));
    const svc = await startApp({ PERMISSIONS_FILE_PATH: roles, ENABLE_SHARES_REGISTRY: 'false' });
    try {
      expect((await call(svc.url, 'GET', '/ready')).status).toBe(200);
      // The tests run as root, for whom chmod 000 is no obstacle: a folder in the file's place cannot be read.
      rmSync(roles);
      mkdirSync(roles);
      const down = await call(svc.url, 'GET', '/ready');
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toMatch(/^application\/json/);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { roles: { status: 'down' } },
        info: { config: { status: 'up' } },
      });
      expect(down.body.info).not.toHaveProperty('shares');
      rmSync(roles, { recursive: true });
      writeFileSync(roles, JSON.stringify({ roles: {}, 'available-labels': [] }));
      expect((await call(svc.url, 'GET', '/ready')).status).toBe(200);
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports the OpenID provider's discovery, cached for a few seconds: one discovery for a burst of probes", async () => {
    const idp: TestOidcProvider = await startOidcProvider();
    const svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: idp.realmUri, KEYCLOAK_TIMEOUT: '1000' });
    try {
      const up = await call(svc.url, 'GET', '/ready', undefined, { auth: null });
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({ status: 'ok', info: { oidc: { status: 'up' } } });
      const before = idp.hitCount('/.well-known/openid-configuration');
      const burst = await Promise.all(
        Array.from({ length: 20 }, () => call(svc.url, 'GET', '/ready', undefined, { auth: null })),
      );
      for (const res of burst) expect(res.body.info.oidc).toEqual({ status: 'up' });
      // A public route must not turn into a discovery request per call: at most one for the whole burst.
      expect(idp.hitCount('/.well-known/openid-configuration') - before).toBeLessThanOrEqual(1);
    } finally {
      await svc.close();
      await idp.close();
    }
  });

  it('stays 200 with the OpenID provider down (share links do not need it), reports it degraded, and sees it back', async () => {
    const port = await closedPort();
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: `http://127.0.0.1:${port}/realms/orthanc/`,
      KEYCLOAK_TIMEOUT: '1000',
    });
    const idp = new TestOidcProvider();
    idp.port = port;
    try {
      const down = await call(svc.url, 'GET', '/ready', undefined, { auth: null });
      expect(down.status).toBe(200);
      expect(down.headers.get('content-type')).toMatch(/^application\/json/);
      expect(down.body).toMatchObject({
        status: 'ok',
        info: { roles: { status: 'up' }, oidc: { status: 'degraded', message: expect.any(String) } },
        error: {},
      });
      expect(down.body.info.oidc.message).toMatch(/discovery/i);
      await idp.start();
      let back = down;
      for (let i = 0; i < 40 && back.body.info.oidc.status !== 'up'; i++) {
        await new Promise((r) => setTimeout(r, 250)); // polls past the cache's few seconds (not a timing assertion)
        back = await call(svc.url, 'GET', '/ready', undefined, { auth: null });
      }
      expect(back.status).toBe(200);
      expect(back.body.info.oidc).toEqual({ status: 'up' });
      const text = await metrics(svc);
      expect(
        sample(text, 'orthanc_auth_peer_requests_total{peer="keycloak",operation="discovery",outcome="error"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'orthanc_auth_peer_requests_total{peer="keycloak",operation="discovery",outcome="ok"}'),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await svc.close();
      await idp.close();
    }
  }, 30_000);
});

describe('metrics (/metrics)', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(() => svc.close());

  it('needs Basic credentials by default', async () => {
    const res = await call(svc.url, 'GET', '/metrics', undefined, { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(res.text).not.toContain('orthanc_auth_');
    const wrong = `Basic ${Buffer.from('share-user:wrong').toString('base64')}`;
    expect((await call(svc.url, 'GET', '/metrics', undefined, { auth: wrong })).status).toBe(401);
  });

  it('is public with METRICS_PUBLIC=true', async () => {
    const open = await startApp({ METRICS_PUBLIC: 'true' });
    try {
      const res = await call(open.url, 'GET', '/metrics', undefined, { auth: null });
      expect(res.status).toBe(200);
      expect(res.text).toContain('# TYPE orthanc_auth_http_requests_total counter');
    } finally {
      await open.close();
    }
  });

  it('counts requests by route pattern and status, latencies, and validate decisions by reason', async () => {
    const created = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      id: 's',
      resources: [STUDY],
      type: 'stone-viewer-publication',
    });
    expect(created.status).toBe(200);
    const token = created.body.token as string;
    const before = await metrics(svc);
    const res = await call(svc.url, 'GET', '/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);

    expect((await call(svc.url, 'POST', '/tokens/validate', validateBody(token))).body.granted).toBe(true);
    expect((await call(svc.url, 'POST', '/tokens/validate', validateBody(token))).body.granted).toBe(true);
    expect((await call(svc.url, 'POST', '/tokens/validate', validateBody(null))).body.granted).toBe(false);
    expect(
      (await call(svc.url, 'POST', '/tokens/validate', validateBody(token, { method: 'delete' }))).body.granted,
    ).toBe(false);
    expect((await call(svc.url, 'POST', '/tokens/validate', validateBody(token), { auth: null })).status).toBe(401);
    expect((await call(svc.url, 'POST', '/tokens/decode', { 'token-value': token })).status).toBe(200);
    expect((await call(svc.url, 'GET', `/no/such/route/${token}?token=${token}`)).status).toBe(404);
    const after = await metrics(svc);

    const delta = (series: string) => sample(after, series) - sample(before, series);
    expect(delta('orthanc_auth_token_validations_total{decision="granted",reason=""}')).toBe(2);
    expect(delta('orthanc_auth_token_validations_total{decision="denied",reason="no-token"}')).toBe(1);
    expect(delta('orthanc_auth_token_validations_total{decision="denied",reason="write-method"}')).toBe(1);
    expect(delta('orthanc_auth_http_requests_total{method="POST",route="/tokens/validate",status="200"}')).toBe(4);
    expect(delta('orthanc_auth_http_requests_total{method="POST",route="/tokens/validate",status="401"}')).toBe(1);
    expect(delta('orthanc_auth_http_requests_total{method="POST",route="/tokens/decode",status="200"}')).toBe(1);
    expect(delta('orthanc_auth_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(delta('orthanc_auth_http_request_duration_seconds_count{method="POST",route="/tokens/validate"}')).toBe(5);
    expect(
      sample(
        after,
        'orthanc_auth_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/tokens/validate"}',
      ),
    ).toBe(sample(after, 'orthanc_auth_http_request_duration_seconds_count{method="POST",route="/tokens/validate"}'));
    // Route patterns, never raw URLs: the token in the 404's path and query is not a label.
    expect(after).not.toContain(token);
    expect(after).not.toContain('/no/such');
    expect(after).toContain('orthanc_auth_process_resident_memory_bytes');
  });
});

describe('peer metrics', () => {
  it('count MedDream token requests and their failures', async () => {
    const meddream = new FakeMedDreamTokenService();
    const svc = await startApp({
      MEDDREAM_TOKEN_SERVICE_URL: await meddream.start(),
      PUBLIC_MEDDREAM_ROOT: 'https://viewer.example.org/meddream/',
    });
    try {
      const link = () =>
        call(svc.url, 'PUT', '/tokens/meddream-instant-link', {
          type: 'meddream-instant-link',
          resources: [{ 'dicom-uid': '1.2.3', 'orthanc-id': null, level: 'study' }],
        });
      expect((await link()).status).toBe(200);
      meddream.mode = 'error-500';
      expect((await link()).status).toBe(502);
      const text = await metrics(svc);
      expect(sample(text, 'orthanc_auth_peer_requests_total{peer="meddream",operation="token",outcome="ok"}')).toBe(1);
      expect(sample(text, 'orthanc_auth_peer_requests_total{peer="meddream",operation="token",outcome="error"}')).toBe(
        1,
      );
    } finally {
      await svc.close();
      await meddream.stop();
    }
  });
});

describe('logs', () => {
  const smtp = new SmtpTestServer();
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startOidcProvider();
  });
  afterAll(async () => {
    await idp.close();
  });

  it('never write a token, password, api-key or secret, even at trace level with the access log on', async () => {
    const smtpPort = await smtp.start();
    const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-logs-'));
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, smtp.certificate.cert);
    const SECRET_KEY = 'the-share-signing-key-9f2c';
    const SMTP_PASSWORD = 'smtp-WrongPass-5521';
    const svc = await startApp(
      {
        LOG_LEVEL: 'trace',
        ACCESS_LOG: 'true',
        SECRET_KEY,
        USERS: JSON.stringify({ 'share-user': 'change-me', auditor: 'auditor-Pa55word' }),
        ENABLE_EMAILS: 'true',
        EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
        EMAILS_SMTP_SERVER_PORT: String(smtpPort),
        EMAILS_SMTP_SERVER_USER_NAME: smtp.user,
        EMAILS_SMTP_SERVER_PWD: SMTP_PASSWORD,
        EMAILS_SMTP_SERVER_CA_FILE: caFile,
        EMAILS_SENDER_ADDRESS: 'Orthanc <orthanc@example.org>',
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: idp.realmUri,
      },
      { captureLogs: true },
    );
    const secrets: string[] = [
      SECRET_KEY,
      SMTP_PASSWORD,
      'auditor-Pa55word',
      'change-me',
      'wrong-Basic-pw-77',
      'an-api-key-value-1234',
    ];
    try {
      const created = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
        id: 's',
        resources: [STUDY],
        type: 'stone-viewer-publication',
      });
      const shareToken = created.body.token as string;
      const userToken = await idp.mint({ sub: 'u-1', preferred_username: 'doctor', roles: ['doctor-role'] });
      secrets.push(shareToken, userToken);
      const auditor = `Basic ${Buffer.from('auditor:auditor-Pa55word').toString('base64')}`;
      const wrongBasic = `Basic ${Buffer.from('share-user:wrong-Basic-pw-77').toString('base64')}`;
      secrets.push(auditor.slice(6), wrongBasic.slice(6));

      await call(svc.url, 'POST', '/tokens/validate', validateBody(null), { headers: { token: shareToken } });
      await call(svc.url, 'POST', '/tokens/validate', validateBody(shareToken), { auth: auditor });
      await call(svc.url, 'POST', '/tokens/validate', validateBody(shareToken), { auth: wrongBasic });
      await call(
        svc.url,
        'POST',
        '/tokens/decode',
        { 'token-value': shareToken },
        { headers: { cookie: `session=${shareToken}` } },
      );
      await call(svc.url, 'POST', '/tokens/decode', { 'token-value': `${shareToken}x` });
      await call(svc.url, 'POST', '/user/get-profile', {
        'token-key': 'authorization',
        'token-value': `Bearer ${userToken}`,
      });
      await call(svc.url, 'POST', '/user/get-profile', {
        'token-key': 'token',
        'token-value': `${userToken.slice(0, -4)}AAAA`,
      });
      await call(
        svc.url,
        'POST',
        '/user/get-profile',
        { 'token-key': 'api-key', 'token-value': 'an-api-key-value-1234' },
        { headers: { 'api-key': 'an-api-key-value-1234' } },
      );
      await call(
        svc.url,
        'PUT',
        '/tokens/stone-viewer-publication',
        { resources: [STUDY], type: 'stone-viewer-publication' },
        { auth: `Bearer ${userToken}` },
      );
      await call(svc.url, 'POST', '/shares/revoke-token', { token: shareToken });
      await call(svc.url, 'GET', `/nothing-here?token=${shareToken}&password=change-me`);
      await call(svc.url, 'GET', '/health', undefined, { headers: { 'x-request-id': shareToken } });
      // Secrets where a careless client puts them: a short safe request id is kept (and logged), a path is logged.
      await call(svc.url, 'GET', '/health', undefined, { headers: { 'x-request-id': 'auditor-Pa55word' } });
      await call(svc.url, 'GET', `/nothing-here/${SMTP_PASSWORD}/${SECRET_KEY}`);
      await call(svc.url, 'GET', `/nothing-here/${encodeURIComponent(`Bearer ${userToken}`)}`);
      const mail = await call(svc.url, 'POST', '/emails/send', {
        'destination-email': 'patient@example.org',
        'email-title': 'Your images',
        'email-content': `<a href="https://pacs.example.org/?token=${shareToken}">open</a>`,
        'layout-template': null,
      });
      expect(mail.status).toBe(400); // the SMTP server refused the wrong password: the failure is logged
    } finally {
      await svc.close();
      await smtp.stop();
      rmSync(work, { recursive: true, force: true });
    }
    const output = svc.logs.join('');
    expect(svc.logs.length).toBeGreaterThan(20);
    expect(output).toMatch(/"route":"\/tokens\/validate"/); // the access lines are there...
    for (const secret of secrets) {
      expect([secret.slice(0, 12), output.includes(secret)]).toEqual([secret.slice(0, 12), false]); // ...and no secret
      expect(output).not.toContain(Buffer.from(secret).toString('base64'));
    }
    for (const line of svc.logs) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('carry the request id on the lines of a request; a safe X-Request-Id is kept and echoed, another replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-reqid-'));
    const roles = join(dir, 'permissions.json');
    writeFileSync(roles, JSON.stringify({ roles: {}, 'available-labels': [] }));
    const svc = await startApp({ PERMISSIONS_FILE_PATH: roles, LOG_LEVEL: 'info' }, { captureLogs: true });
    try {
      // A roles file replaced by a folder: PUT fails with a 500 whose cause is logged, under the request's id.
      rmSync(roles);
      mkdirSync(roles);
      const res = await call(
        svc.url,
        'PUT',
        '/settings/roles',
        { roles: {}, 'available-labels': [] },
        { headers: { 'x-request-id': 'ticket-4711.a' } },
      );
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('ticket-4711.a');
      const lines = svc.logs.map((l) => JSON.parse(l));
      const errorLine = lines.find((l) => l.level === 'error' && String(l.msg).includes(res.body.errorId));
      expect(errorLine).toMatchObject({ reqId: 'ticket-4711.a', context: 'HttpError' });

      const unsafe = await call(svc.url, 'GET', '/health', undefined, { headers: { 'x-request-id': 'a b<script>' } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
      const generated = await call(svc.url, 'GET', '/health');
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
      expect(generated.headers.get('x-request-id')).not.toBe(unsafe.headers.get('x-request-id'));
      // No access line at info level unless ACCESS_LOG=true (validate and get-profile are hot).
      expect(lines.filter((l) => l.msg === 'request')).toEqual([]);
    } finally {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an X-Request-Id too long or of unsafe characters is replaced: the replacement is echoed and logged, never it', async () => {
    const svc = await startApp({ ACCESS_LOG: 'true' }, { captureLogs: true });
    const refused = ['y'.repeat(65), 'id with spaces', 'id"quote', 'a/b;c=d', 'eyJhbGciOiJIUzI1NiJ9'.repeat(4)];
    try {
      const kept = await call(svc.url, 'GET', '/health', undefined, { headers: { 'x-request-id': 'x'.repeat(64) } });
      expect(kept.headers.get('x-request-id')).toBe('x'.repeat(64));
      for (const given of refused) {
        const res = await call(svc.url, 'GET', '/health', undefined, { headers: { 'x-request-id': given } });
        const echoed = res.headers.get('x-request-id');
        expect(echoed).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
        const access = svc.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.reqId === echoed);
        expect(access).toHaveLength(1);
      }
    } finally {
      await svc.close();
    }
    const output = svc.logs.join('');
    for (const given of refused) expect(output).not.toContain(JSON.stringify(given).slice(1, -1));
  });
});
