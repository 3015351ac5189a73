import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC, call, RunningApp, startApp } from '../support/app';
import { KeycloakAdminStandIn } from '../support/keycloak-admin-server';
import { FakeMedDreamTokenService } from '../support/meddream-token-service';
import { ADMIN_CLIENT_SECRET, startOidcProvider, TestOidcProvider } from '../support/oidc-provider';
import { send } from './support/hostile';

// Log hygiene under hostile input and failing peers, at LOG_LEVEL=trace with the access log on, through the
// service's own log capture (startApp's captureLogs: the JSON lines exactly as production writes them). Secrets travel
// everywhere a careless or hostile client puts them (headers, query, path, body, malformed and oversized bodies) and
// through the error paths (a peer failing, a write failing, a 5xx with its errorId). test/operations.e2e-spec.ts
// covers the well-formed requests; this suite covers the secrets that are not configuration values and so can only
// be caught by shape or by not being logged at all: MedDream tokens, api-keys, the admin client's access tokens,
// share tokens inside malformed bodies.

const SECRET_KEY = 'hygiene-secret-key-7c1f0e2d9b8a';
const PASSWORD = 'hygiene-Pa55-word-3e9d';
const API_KEY = 'apikey-7f3e9b2c1d0a-SECRET';

describe('no secret in any log line, whatever the input and whatever fails (LOG_LEVEL=trace)', () => {
  let idp: TestOidcProvider;
  let adminApi: KeycloakAdminStandIn;
  const meddream = new FakeMedDreamTokenService();
  let smtp: Server;
  let svc: RunningApp;
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-hygiene-'));
  const rolesDir = join(work, 'roles');
  const adminTokens = new Set<string>();
  const secrets = new Set<string>([SECRET_KEY, PASSWORD, API_KEY, ADMIN_CLIENT_SECRET]);
  let requests = 0;

  beforeAll(async () => {
    idp = await startOidcProvider();
    adminApi = await new KeycloakAdminStandIn(
      {
        name: 'orthanc',
        roles: [{ name: 'doctor-role' }],
        users: [
          {
            id: 'kc-1',
            username: 'scanner-bot',
            enabled: true,
            attributes: { 'api-key': [API_KEY] },
            realmRoles: ['doctor-role'],
          },
        ],
      },
      async (t) => {
        adminTokens.add(t);
        return idp.isAdminToken(t);
      },
    ).start();
    const meddreamUrl = await meddream.start();
    // An SMTP server that greets and refuses everything after EHLO.
    smtp = createServer((s: Socket) => {
      s.on('error', () => undefined);
      s.write('220 smtp.example ESMTP\r\n');
      s.on('data', (d: Buffer) =>
        s.write(
          /^EHLO|^HELO/i.test(d.toString()) ? '250 smtp.example\r\n' : `554 5.7.1 refused ${d.toString().trim()}\r\n`,
        ),
      );
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(rolesDir);
    writeFileSync(
      join(rolesDir, 'permissions.json'),
      JSON.stringify({ roles: { 'doctor-role': { permissions: ['view'] } }, 'available-labels': [] }),
    );
    svc = await startApp(
      {
        LOG_LEVEL: 'trace',
        ACCESS_LOG: 'true',
        SECRET_KEY,
        USERS: JSON.stringify({ 'share-user': 'change-me', auditor: PASSWORD }),
        PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org/',
        PUBLIC_LANDING_ROOT: 'https://share.example.org/landing/',
        MEDDREAM_TOKEN_SERVICE_URL: meddreamUrl,
        PUBLIC_MEDDREAM_ROOT: 'https://viewer.example.org/meddream/',
        MEDDREAM_TIMEOUT: '500',
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: idp.realmUri,
        KEYCLOAK_ADMIN_URI: adminApi.adminUri,
        KEYCLOAK_CLIENT_SECRET: ADMIN_CLIENT_SECRET,
        ENABLE_KEYCLOAK_API_KEYS: 'true',
        KEYCLOAK_JWKS_COOLDOWN: '0',
        ENABLE_EMAILS: 'true',
        EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
        EMAILS_SMTP_SERVER_PORT: String((smtp.address() as { port: number }).port),
        EMAILS_SMTP_SERVER_USES_TLS: 'false',
        EMAILS_SENDER_ADDRESS: 'orthanc@example.org',
        PERMISSIONS_FILE_PATH: join(rolesDir, 'permissions.json'),
      },
      { captureLogs: true },
    );
  });

  afterAll(async () => {
    await svc?.close();
    await adminApi?.close();
    await idp?.close();
    await meddream.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
    rmSync(work, { recursive: true, force: true });
  });

  it('runs a hostile mix carrying secrets everywhere, through failing peers and a failing write, and finds none in the logs', async () => {
    const auditor = `Basic ${Buffer.from(`auditor:${PASSWORD}`).toString('base64')}`;
    const wrongBasic = `Basic ${Buffer.from(`share-user:${PASSWORD}-wrong`).toString('base64')}`;
    secrets.add(auditor.slice(6)).add(wrongBasic.slice(6)).add(`${PASSWORD}-wrong`);
    const created = async (type: string, resources: unknown[]) => {
      const res = await call(svc.url, 'PUT', `/tokens/${type}`, {
        id: 'h',
        type,
        resources,
        'validity-duration': 3600,
      });
      requests++;
      expect(res.status).toBe(200);
      secrets.add(res.body.token);
      return res.body.token as string;
    };
    const study = { 'dicom-uid': '1.2.840.1', 'orthanc-id': 'o-1', level: 'study' };
    const share = await created('stone-viewer-publication', [study]);
    const instant = await created('viewer-instant-link', [study]);
    const meddreamLink = await created('meddream-instant-link', [study]); // MedDream's own token: not a JWT
    const mdPublication = await created('meddream-viewer-publication', [study]);
    const user = await idp.mint({ sub: 'u-1', preferred_username: 'doctor', roles: ['doctor-role'] });
    const expired = await idp.mint({ sub: 'u-1', preferred_username: 'doctor' }, { expiresIn: -3600 });
    secrets.add(user).add(expired);

    const tokens = [share, instant, meddreamLink, user, API_KEY];
    const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) => {
      requests++;
      return send(svc.url, {
        method,
        path,
        headers: { authorization: BASIC, 'content-type': 'application/json', ...headers },
        body: Buffer.from(body),
      });
    };
    for (const t of tokens) {
      const v = { 'dicom-uid': '1.2.840.1', level: 'study', method: 'get', 'token-key': 'token', 'token-value': t };
      await raw('POST', '/tokens/validate', JSON.stringify(v), {
        token: t,
        cookie: `session=${t}`,
        'x-forwarded-for': t,
      });
      await raw('POST', '/tokens/validate', JSON.stringify({ ...v, method: 'delete' }), { 'api-key': t });
      // (Not X-Request-Id: a short safe one is the caller's own correlation id, kept and logged by design.)
      await raw('POST', '/tokens/validate', JSON.stringify(v), { authorization: auditor });
      await raw('POST', '/tokens/validate', JSON.stringify(v), { authorization: wrongBasic });
      await raw('POST', '/tokens/validate', JSON.stringify(v).slice(0, -5)); // malformed JSON holding the token
      await raw('POST', '/tokens/decode', `{"token-value": "${t}", "x": ${'['.repeat(100)}${']'.repeat(100)}}`); // too deep
      await raw('POST', '/tokens/decode', JSON.stringify({ 'token-value': t, pad: 'x'.repeat(1_100_000) })); // too large
      await raw('POST', '/tokens/decode', JSON.stringify({ 'token-value': `Bearer ${t}`, password: t }));
      await raw('POST', '/user/get-profile', JSON.stringify({ 'token-key': 'api-key', 'token-value': t }), {
        'api-key': t,
      });
      await raw(
        'POST',
        '/user/get-profile',
        JSON.stringify({ 'token-key': 'authorization', 'token-value': `Bearer ${t}`, 'user-id': t }),
      );
      await raw('PUT', '/settings/roles', JSON.stringify({ roles: { [t]: { permissions: [t] } } }), {
        authorization: `Bearer ${t}`,
      });
      await raw(
        'GET',
        `/tokens/${encodeURIComponent(t)}?token=${encodeURIComponent(t)}&api-key=${encodeURIComponent(t)}`,
        '',
      );
      await raw('GET', `/nothing/${t}`, '', { authorization: `Bearer ${t}` });
      await raw('POST', '/shares/revoke-token', JSON.stringify({ token: `${t}x` }));
    }
    await raw('POST', '/user/get-profile', JSON.stringify({ 'token-key': 'token', 'token-value': expired }));

    // Peers failing while secrets are in flight.
    meddream.mode = 'error-500';
    await raw('POST', '/tokens/decode', JSON.stringify({ 'token-value': mdPublication }));
    meddream.mode = 'hang';
    await raw(
      'PUT',
      '/tokens/meddream-instant-link',
      JSON.stringify({ id: API_KEY, type: 'meddream-instant-link', resources: [study] }),
    );
    meddream.mode = 'token';
    adminApi.failWith = 500;
    await raw('POST', '/user/get-profile', JSON.stringify({ 'token-key': 'api-key', 'token-value': API_KEY }));
    await raw('POST', '/user/get-profile', JSON.stringify({ 'user-id': 'kc-404' })); // a user id is not a secret: it is in the admin URL
    adminApi.failWith = undefined;
    const mail = await raw(
      'POST',
      '/emails/send',
      JSON.stringify({
        'destination-email': 'patient@example.org',
        'email-title': `Your images ${share}`,
        'layout-template': null,
        'email-content': `<a href="https://pacs.example.org/?token=${share}">open</a> ${meddreamLink}`,
      }),
    );
    expect(mail.status).toBe(400);
    // A failing write: the roles file's folder is gone (a JSON 5xx with an errorId, logged with its cause).
    rmSync(rolesDir, { recursive: true, force: true });
    const failedWrite = await raw(
      'PUT',
      '/settings/roles',
      JSON.stringify({ roles: { [share]: { permissions: ['view'] } }, 'available-labels': [API_KEY] }),
    );
    expect(failedWrite.status).toBeGreaterThanOrEqual(500);

    // The MedDream tokens the service received from the peer are secrets too (they open the viewer).
    const mdTokens = (
      await call(svc.url, 'PUT', '/tokens/meddream-instant-link', {
        id: null,
        type: 'meddream-instant-link',
        resources: [study],
      })
    ).body.token;
    secrets.add(mdTokens);
    for (const t of adminTokens) secrets.add(t);
    expect(adminTokens.size).toBeGreaterThan(0);

    const logs = svc.logs;
    const output = logs.join('');
    process.stdout.write(
      `[hostile] log hygiene: ${requests} requests, ${logs.length} log lines at trace, ${secrets.size} secrets looked for\n`,
    );
    expect(logs.length).toBeGreaterThan(100);
    expect(output).toMatch(/"level":"error"/); // the error paths did run and log
    for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
    const leaks: string[] = [];
    for (const secret of secrets) {
      for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]) {
        const at = output.indexOf(form);
        if (at >= 0) leaks.push(`${secret.slice(0, 16)}... in: ${output.slice(Math.max(0, at - 200), at + 40)}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 60_000);
});
