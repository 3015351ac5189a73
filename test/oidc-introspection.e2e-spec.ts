import { call, RunningApp, startApp } from './support/app';
import {
  INTROSPECTION_CLIENT_ID,
  INTROSPECTION_CLIENT_SECRET,
  startOidcProvider,
  TestOidcProvider,
  TestUser,
  USER_CLIENT_ID,
} from './support/oidc-provider';
import { ALL_PERMISSIONS, ANONYMOUS } from './support/profiles';

// Opaque access tokens (issue 25 item 3), introspected (RFC 7662) at a real OpenID provider: oidc-provider in-process,
// whose access tokens are opaque and whose introspection endpoint the service finds by discovery. Its tokens are
// real (issued and stored by the provider, revocable there); the users' roles are their Keycloak-shaped claims.

const house: TestUser = { sub: 'u-house', preferred_username: 'house', name: 'Gregory House', roles: ['doctor-role'] };
const root: TestUser = { sub: 'u-root', preferred_username: 'root', roles: ['admin-role'] };

const profile = (svc: RunningApp, token: string) =>
  call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'Authorization', 'token-value': `Bearer ${token}` });
const bearer = (svc: RunningApp, path: string, token: string) =>
  call(svc.url, 'GET', path, undefined, { auth: `Bearer ${token}` });
const logged = (svc: RunningApp, text: string) => svc.logs.filter((l) => l.includes(text));

const introspecting = (idp: TestOidcProvider, extra: Record<string, string> = {}) => ({
  ENABLE_OIDC: 'true',
  OIDC_ISSUER_URL: idp.realmUri,
  OIDC_AUTHORIZED_PARTIES: USER_CLIENT_ID,
  OIDC_INTROSPECTION_CLIENT_ID: INTROSPECTION_CLIENT_ID,
  OIDC_INTROSPECTION_CLIENT_SECRET: INTROSPECTION_CLIENT_SECRET,
  LOG_LEVEL: 'debug',
  ...extra,
});

describe('opaque access tokens, introspected at a real provider (oidc-provider)', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp(introspecting(idp, { OIDC_INTROSPECTION_CACHE_SECONDS: '1' }), { captureLogs: true });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it("the provider's token is opaque, and its introspection answers for it (the control)", async () => {
    const token = await idp.issueOpaque(house);
    expect(token.split('.')).toHaveLength(1);
    const res = await fetch(`${idp.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${INTROSPECTION_CLIENT_ID}:${INTROSPECTION_CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    expect(await res.json()).toMatchObject({ active: true, sub: 'u-house', client_id: USER_CLIENT_ID });
  });

  it("maps an active token's claims to a profile exactly as a JWT's, on get-profile and the bearer routes", async () => {
    const opaque = await idp.issueOpaque(house);
    const jwt = await idp.mint({ ...house, extra: { azp: USER_CLIENT_ID } });
    const fromOpaque = await profile(svc, opaque);
    const fromJwt = await profile(svc, jwt);
    expect(fromOpaque.status).toBe(200);
    expect(fromOpaque.body).toEqual({ ...fromJwt.body, validity: fromOpaque.body.validity });
    expect(fromOpaque.body).toMatchObject({ name: 'Gregory House', 'user-id': 'u-house' });
    expect(fromOpaque.body.permissions).toContain('share');
    expect(fromOpaque.body.validity).toBeGreaterThan(0);
    const admin = await idp.issueOpaque(root);
    expect((await profile(svc, admin)).body.permissions).toEqual(ALL_PERMISSIONS);
    expect((await bearer(svc, '/settings/roles', admin)).status).toBe(200);
    expect((await bearer(svc, '/settings/roles', opaque)).status).toBe(403);
    expect((await bearer(svc, '/shares', opaque)).status).toBe(200);
  });

  it('caches an answer by the hash of the token: one introspection for many requests, never the token logged', async () => {
    const token = await idp.issueOpaque(house);
    const before = idp.hitCount('/token/introspection');
    for (let i = 0; i < 5; i++) expect((await profile(svc, token)).body['user-id']).toBe('u-house');
    expect(idp.hitCount('/token/introspection')).toBe(before + 1);
    expect(svc.logs.some((l) => l.includes(token))).toBe(false);
  });

  it('refuses an unknown, a revoked (once the cached answer is past) and an expired token, with one debug line each', async () => {
    expect((await profile(svc, 'no-such-token-at-the-provider')).body).toEqual(ANONYMOUS);
    expect((await bearer(svc, '/shares', 'no-such-token-at-the-provider-either')).status).toBe(401);
    const revoked = await idp.issueOpaque(house);
    expect((await profile(svc, revoked)).body['user-id']).toBe('u-house');
    await idp.revokeOpaque(revoked);
    // Cached for OIDC_INTROSPECTION_CACHE_SECONDS (1 here), then asked again: inactive.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await profile(svc, revoked)).body).toEqual(ANONYMOUS);
    const expired = await idp.issueOpaque(house, { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await profile(svc, expired)).body).toEqual(ANONYMOUS);
    expect(logged(svc, 'access token refused: active is false').length).toBeGreaterThanOrEqual(4);
  });

  it('holds an introspected token to the rules of a JWT: another client is refused (OIDC_AUTHORIZED_PARTIES)', async () => {
    const strict = await startApp(introspecting(idp, { OIDC_AUTHORIZED_PARTIES: 'another-client' }));
    try {
      expect((await profile(strict, await idp.issueOpaque(house))).body).toEqual(ANONYMOUS);
    } finally {
      await strict.close();
    }
  });

  it('refuses opaque tokens without introspection, saying why at debug', async () => {
    const off = await startApp(
      {
        ENABLE_OIDC: 'true',
        OIDC_ISSUER_URL: idp.realmUri,
        OIDC_AUTHORIZED_PARTIES: USER_CLIENT_ID,
        LOG_LEVEL: 'debug',
      },
      { captureLogs: true },
    );
    try {
      const token = await idp.issueOpaque(house);
      expect((await profile(off, token)).body).toEqual(ANONYMOUS);
      expect((await bearer(off, '/shares', token)).status).toBe(401);
      expect(
        logged(off, 'access token refused: form is not a JWT: an opaque token; introspection is off'),
      ).toHaveLength(2);
    } finally {
      await off.close();
    }
  });

  it('a wrong introspection secret is a 503 (the provider refuses us), never a profile', async () => {
    const wrong = await startApp(introspecting(idp, { OIDC_INTROSPECTION_CLIENT_SECRET: 'not-the-secret' }));
    try {
      expect((await profile(wrong, await idp.issueOpaque(house))).status).toBe(503);
    } finally {
      await wrong.close();
    }
  });

  // Last: it stops the provider.
  it('the provider down: a cached answer still serves, an unseen token is a 503 (as an unknown kid is)', async () => {
    const cached = await idp.issueOpaque(root);
    const fresh = await idp.issueOpaque(root);
    const lasting = await startApp(introspecting(idp, { OIDC_TIMEOUT: '1000' }));
    try {
      expect((await profile(lasting, cached)).body['user-id']).toBe('u-root');
      await idp.close();
      expect((await profile(lasting, cached)).body['user-id']).toBe('u-root');
      expect((await profile(lasting, fresh)).status).toBe(503);
      expect((await bearer(lasting, '/shares', fresh)).status).toBe(503);
    } finally {
      await lasting.close();
    }
  });
});
