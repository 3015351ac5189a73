import { call, RunningApp, startApp } from './support/app';
import { CLIENT_ID, GlewlwydUser, TestGlewlwyd } from './support/glewlwyd';
import { ALL_PERMISSIONS, ANONYMOUS } from './support/profiles';

// The whole service against a real OpenID provider that is not Keycloak: Debian's glewlwyd, started here on a free
// loopback port and configured through its admin REST API (test/support/glewlwyd.ts). Its tokens differ from
// Keycloak's where sites meet trouble: discovery at /api/oidc (no /realms/), roles as one comma-separated string,
// `aud` the scope string with `client_id` naming the client, access tokens typed `at+jwt`, ID tokens carrying the
// roles and the client as audience. `npm test` installs glewlwyd (scripts/test.sh); missing, this suite fails and
// says how to install it.

const house: GlewlwydUser = {
  username: 'house',
  password: 'house-password-1',
  name: 'Gregory House',
  roles: ['doctor-role'],
};
const root: GlewlwydUser = {
  username: 'root',
  password: 'root-password-1',
  name: 'Root Admin',
  roles: ['admin-role', 'doctor-role'],
};

/** A user whose roles property holds one value, written with "; " as some directories join a multi-valued attribute. */
const cuddy: GlewlwydUser = {
  username: 'cuddy',
  password: 'cuddy-password-1',
  name: 'Lisa Cuddy',
  roles: ['admin-role; doctor-role'],
};

const profile = (svc: RunningApp, token: string) =>
  call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'Authorization', 'token-value': `Bearer ${token}` });
const bearer = (svc: RunningApp, method: string, path: string, token: string) =>
  call(svc.url, method, path, undefined, { auth: `Bearer ${token}` });
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
/** The log lines (JSON) whose message contains `text`. */
const logged = (svc: RunningApp, text: string) => svc.logs.filter((l) => l.includes(text));

/** The settings a site uses for glewlwyd (README, "Using another OpenID provider"). */
const glewlwydSettings = (glw: TestGlewlwyd) => ({
  ENABLE_OIDC: 'true',
  OIDC_ISSUER_URL: glw.issuer,
  OIDC_AUTHORIZED_PARTIES: CLIENT_ID,
  OIDC_ROLES_CLAIM: 'roles',
  OIDC_REQUIRE_AT_JWT: 'true',
});

describe('any OpenID provider: a real glewlwyd', () => {
  let glw: TestGlewlwyd;
  let svc: RunningApp;

  beforeAll(async () => {
    glw = new TestGlewlwyd();
    try {
      await glw.start([house, root, cuddy]);
      svc = await startApp(
        {
          ...glewlwydSettings(glw),
          // Tokens are checked to the second here, so that the expiry test needs no long wait.
          OIDC_CLOCK_TOLERANCE: '0',
          // Keycloak-only settings a site may leave over: ignored with another provider, no KEYCLOAK_ADMIN_URI error.
          KEYCLOAK_CLIENT_SECRET: 'left-over-secret',
          ENABLE_KEYCLOAK_API_KEYS: 'true',
          LOG_LEVEL: 'debug',
        },
        { captureLogs: true },
      );
    } catch (err) {
      await glw.close();
      throw err;
    }
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await glw?.close();
  });

  it("glewlwyd's tokens are what this suite is about (the control)", async () => {
    const { access_token: access, id_token: id } = await glw.password(root);
    expect(headerOf(access)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(claimsOf(access)).toMatchObject({
      iss: glw.issuer,
      aud: 'openid orthanc',
      client_id: CLIENT_ID,
      roles: 'admin-role,doctor-role',
      name: 'Root Admin',
    });
    expect(headerOf(id).typ).toBe('JWT');
    expect(claimsOf(id)).toMatchObject({
      aud: CLIENT_ID,
      azp: CLIENT_ID,
      roles: ['admin-role', 'doctor-role'],
      at_hash: expect.any(String),
    });
  });

  it('discovers the provider at a non-/realms/ URL, says the Keycloak-only features are off, and is ready', async () => {
    expect(logged(svc, 'OIDC_PROVIDER=generic')).toHaveLength(1);
    expect(logged(svc, 'OIDC_PROVIDER=generic')[0]).toContain(
      "api-keys, user-id lookups and realm roles in /settings/roles need Keycloak's admin REST API and are off",
    );
    expect(
      logged(svc, 'ignored with a provider that is not Keycloak: KEYCLOAK_CLIENT_SECRET, ENABLE_KEYCLOAK_API_KEYS'),
    ).toHaveLength(1);
    const ready = await call(svc.url, 'GET', '/ready', undefined, { auth: null });
    expect(ready.status).toBe(200);
    expect(ready.body.info.oidc).toEqual({ status: 'up' });
  });

  it("get-profile maps the provider's users to their permissions (roles written as one string)", async () => {
    const doctor = await profile(svc, (await glw.password(house)).access_token);
    expect(doctor.status).toBe(200);
    expect(doctor.body).toEqual({
      name: 'Gregory House',
      permissions: ['view', 'download', 'share', 'send'],
      'authorized-labels': ['*'],
      validity: 60,
      'user-id': expect.any(String),
      groups: null,
    });
    const admin = await profile(svc, (await glw.password(root)).access_token);
    expect(admin.body).toMatchObject({ name: 'Root Admin', permissions: ALL_PERMISSIONS, 'authorized-labels': ['*'] });
    expect(admin.body['user-id']).not.toBe(doctor.body['user-id']);
  });

  // Issue 25 item 2: "admin-role; doctor-role" was read as "admin-role;" and "doctor-role": the admin role was lost.
  it('reads roles joined with semicolons, and says at debug which roles it read', async () => {
    const token = (await glw.password(cuddy)).access_token;
    expect(claimsOf(token).roles).toBe('admin-role; doctor-role');
    expect((await profile(svc, token)).body).toMatchObject({ name: 'Lisa Cuddy', permissions: ALL_PERMISSIONS });
    expect(logged(svc, 'roles [admin-role, doctor-role] read from roles').length).toBeGreaterThanOrEqual(1);
  });

  it('the bearer guard allows and refuses by role', async () => {
    const adminToken = (await glw.password(root)).access_token;
    const doctorToken = (await glw.password(house)).access_token;
    const roles = await bearer(svc, 'GET', '/settings/roles', adminToken);
    expect(roles.status).toBe(200);
    // No Keycloak admin API here: the stored roles, not reconciled, and no 503 for the left-over secret.
    expect(Object.keys(roles.body.roles).sort()).toEqual(['admin-role', 'doctor-role', 'external-role']);
    expect((await bearer(svc, 'GET', '/settings/roles', doctorToken)).status).toBe(403);
    expect((await bearer(svc, 'GET', '/shares', doctorToken)).status).toBe(200);
    expect((await bearer(svc, 'GET', '/shares', 'not-a-token')).status).toBe(401);
  });

  it('api-keys and user-id lookups are off (they need Keycloak)', async () => {
    const apiKey = await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'api-key', 'token-value': 'k' });
    expect(apiKey.body).toEqual(ANONYMOUS);
    const userId = await call(svc.url, 'POST', '/user/get-profile', { 'user-id': 'house' });
    expect(userId.status).toBe(200);
    expect(userId.text).toBe('null');
  });

  it('an ID token is refused, whatever it carries, and the debug line names the check, never the token', async () => {
    const { id_token: id } = await glw.password(root);
    expect((await profile(svc, id)).body).toEqual(ANONYMOUS);
    expect((await bearer(svc, 'GET', '/settings/roles', id)).status).toBe(401);
    expect(logged(svc, 'access token refused: typ (header) is not at+jwt').length).toBeGreaterThanOrEqual(2);
    expect(svc.logs.some((l) => l.includes(id) || l.includes(id.split('.')[1]))).toBe(false);
  });

  it('a tampered token is refused', async () => {
    const [h, p, s] = (await glw.password(house)).access_token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: 'admin-role' })).toString('base64url')}.${s}`;
    expect((await profile(svc, forged)).body).toEqual(ANONYMOUS);
    expect((await bearer(svc, 'GET', '/settings/roles', forged)).status).toBe(401);
    const resigned = `${h}.${p}.${s.slice(0, -6)}AAAAAA`;
    expect((await profile(svc, resigned)).body).toEqual(ANONYMOUS);
  });

  it('an expired token is refused', async () => {
    await glw.setAccessTokenDuration(1);
    let token: string;
    try {
      token = (await glw.password(house)).access_token;
    } finally {
      await glw.setAccessTokenDuration(3600);
    }
    const exp = claimsOf(token).exp as number;
    expect(exp - (claimsOf(token).iat as number)).toBe(1);
    while (Math.floor(Date.now() / 1000) < exp + 1) await new Promise((r) => setTimeout(r, 200));
    expect((await profile(svc, token)).body).toEqual(ANONYMOUS);
    expect((await bearer(svc, 'GET', '/shares', token)).status).toBe(401);
    expect(logged(svc, 'access token refused: ERR_JWT_EXPIRED').length).toBeGreaterThanOrEqual(1);
  });

  it("a key rotation through the provider's admin API: the new key's tokens at once, the removed key's refused", async () => {
    const before = (await glw.password(house)).access_token;
    const oldKid = glw.currentKid;
    expect(headerOf(before).kid).toBe(oldKid);
    expect((await profile(svc, before)).body.name).toBe('Gregory House');

    const newKid = await glw.rotateKey({ keepOld: false });
    const after = (await glw.password(root)).access_token;
    expect(headerOf(after).kid).toBe(newKid);
    const res = await profile(svc, after);
    expect(res.body).toMatchObject({ name: 'Root Admin', permissions: ALL_PERMISSIONS });
    // The key set fetched for the new kid no longer holds the old key: its tokens are refused from now on.
    expect((await profile(svc, before)).body).toEqual(ANONYMOUS);
    expect((await bearer(svc, 'GET', '/shares', before)).status).toBe(401);
  });

  // Last: the service's logger is one per process, so the logs captured for `svc` stop when another app starts.
  it('an ID token is refused by its at_hash even where its audience matches and at+jwt is not required', async () => {
    const { id_token: id } = await glw.password(root);
    // Without OIDC_REQUIRE_AT_JWT and with the audience set to the client (what made the ID token pass before),
    // its ID-token claims still refuse it.
    const lax = await startApp(
      {
        ENABLE_OIDC: 'true',
        OIDC_ISSUER_URL: glw.issuer,
        OIDC_AUDIENCE: CLIENT_ID,
        OIDC_ROLES_CLAIM: 'roles',
        LOG_LEVEL: 'debug',
      },
      { captureLogs: true },
    );
    try {
      expect((await profile(lax, id)).body).toEqual(ANONYMOUS);
      expect((await bearer(lax, 'GET', '/settings/roles', id)).status).toBe(401);
      expect(logged(lax, 'access token refused: at_hash is an ID token claim').length).toBeGreaterThanOrEqual(2);
      expect(lax.logs.some((l) => l.includes(id.split('.')[1]))).toBe(false);
    } finally {
      await lax.close();
    }
  });
});
