import { call, RunningApp, startApp } from './support/app';
import { KeycloakAdminStandIn } from './support/keycloak-admin-server';
import { ADMIN_CLIENT_SECRET, startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';

// Admin REST clients may call some routes with their own Keycloak access token instead of the shared Basic login.
// Tokens come from a real OpenID provider (oidc-provider, in-process); the admin API is a stand-in speaking
// Keycloak's documented contract (no Keycloak can run here), used for the realm roles of GET /settings/roles.

const admin: TestUser = { sub: 'u-admin', preferred_username: 'root', roles: ['admin-role'] };
const doctor: TestUser = { sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] };
const external: TestUser = { sub: 'u-ext', preferred_username: 'ext', roles: ['external-role'] };

const instantLink = (type: string) => ({
  id: null,
  resources: [],
  type,
  'expiration-date': null,
  'validity-duration': 60,
});

describe('Keycloak bearer tokens on @AllowBearer routes', () => {
  let idp: TestOidcProvider;
  let adminApi: KeycloakAdminStandIn;
  let svc: RunningApp;
  const bearer = async (user: TestUser) => `Bearer ${await idp.mint(user)}`;

  beforeAll(async () => {
    idp = await startOidcProvider();
    adminApi = await new KeycloakAdminStandIn(
      {
        name: 'orthanc',
        roles: [{ name: 'admin-role' }, { name: 'doctor-role' }, { name: 'external-role' }, { name: 'radiologist' }],
        users: [],
      },
      (t) => idp.isAdminToken(t),
    ).start();
    svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_ADMIN_URI: adminApi.adminUri,
      KEYCLOAK_CLIENT_SECRET: ADMIN_CLIENT_SECRET,
    });
  });
  afterAll(async () => {
    await svc?.close();
    await adminApi?.close();
    await idp?.close();
  });

  describe('/settings/roles (admin-permissions)', () => {
    it('an admin user reads the roles (reconciled with the realm roles)', async () => {
      const res = await call(svc.url, 'GET', '/settings/roles', undefined, { auth: await bearer(admin) });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.roles).sort()).toEqual(['admin-role', 'doctor-role', 'external-role', 'radiologist']);
      expect(res.body.roles.radiologist).toEqual({ permissions: [], 'authorized-labels': [] });
    });

    it('an admin user replaces them', async () => {
      const current = (await call(svc.url, 'GET', '/settings/roles')).body;
      const next = { ...current, 'available-labels': ['external', 'ward'] };
      const res = await call(svc.url, 'PUT', '/settings/roles', next, { auth: await bearer(admin) });
      expect(res.status).toBe(200);
      expect(res.body['available-labels']).toEqual(['external', 'ward']);
    });

    it('a doctor gets a 403 JSON for GET and PUT, and nothing changes', async () => {
      const before = (await call(svc.url, 'GET', '/settings/roles')).body;
      const get = await call(svc.url, 'GET', '/settings/roles', undefined, { auth: await bearer(doctor) });
      expect(get.status).toBe(403);
      expect(get.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(JSON.stringify(get.body.message)).toContain('admin-permissions');
      const put = await call(
        svc.url,
        'PUT',
        '/settings/roles',
        { roles: {}, 'available-labels': [] },
        { auth: await bearer(doctor) },
      );
      expect(put.status).toBe(403);
      expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(before);
    });

    it('no credentials, an invalid or expired bearer token: 401', async () => {
      expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: null })).status).toBe(401);
      expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: 'Bearer not-a-jwt' })).status).toBe(401);
      const expired = `Bearer ${await idp.mint(admin, { expiresIn: -600 })}`;
      expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: expired })).status).toBe(401);
      const foreign = `Bearer ${await idp.mint(admin, { key: await TestOidcProvider.foreignKey() })}`;
      expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: foreign })).status).toBe(401);
    });

    it('Basic still works as before', async () => {
      expect((await call(svc.url, 'GET', '/settings/roles')).status).toBe(200);
    });
  });

  describe('PUT /tokens/:type (the permission of the type)', () => {
    it('view for viewer-instant-link, download for download-instant-link, share for publications', async () => {
      const cases: [TestUser, string, number][] = [
        [doctor, 'viewer-instant-link', 200],
        [doctor, 'download-instant-link', 200],
        [doctor, 'stone-viewer-publication', 200],
        [external, 'viewer-instant-link', 200],
        [external, 'download-instant-link', 200],
        [external, 'stone-viewer-publication', 403],
        [{ sub: 'u-none', preferred_username: 'nobody', roles: [] }, 'viewer-instant-link', 403],
      ];
      for (const [user, type, status] of cases) {
        const res = await call(svc.url, 'PUT', `/tokens/${type}`, instantLink(type), { auth: await bearer(user) });
        expect({ user: user.preferred_username, type, status: res.status }).toEqual({
          user: user.preferred_username,
          type,
          status,
        });
      }
    });

    it('an unknown type is refused to a bearer caller', async () => {
      const res = await call(svc.url, 'PUT', '/tokens/no-such-type', instantLink('no-such-type'), {
        auth: await bearer(admin),
      });
      expect(res.status).toBe(403);
    });
  });

  describe('Basic-only routes', () => {
    it('validate, decode and get-profile refuse a bearer token', async () => {
      const auth = await bearer(admin);
      expect(
        (await call(svc.url, 'POST', '/tokens/validate', { level: 'study', method: 'get' }, { auth })).status,
      ).toBe(401);
      expect(
        (await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': 'x' }, { auth })).status,
      ).toBe(401);
      expect((await call(svc.url, 'POST', '/user/get-profile', {}, { auth })).status).toBe(401);
    });
  });
});

describe('bearer tokens with Keycloak disabled', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp();
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('are never accepted', async () => {
    const res = await call(svc.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${await idp.mint(admin)}` });
    expect(res.status).toBe(401);
  });
});
