import { call, RunningApp, startApp } from './support/app';
import { KeycloakAdminStandIn } from './support/keycloak-admin-server';
import { ADMIN_CLIENT_SECRET, startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';

/** The error's message as one text, whether the service answers it as a string or as a list of messages. */
const messageOf = (res: { body: { message?: string | string[] } }) => [res.body.message ?? []].flat().join(' ');

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

  describe('PUT /tokens/:type (a Keycloak user may only share what they may see)', () => {
    // Roles beyond the shipped ones, added through the roles editor: `share` on some labels only, `all` alone.
    const labelled: TestUser = { sub: 'u-lab', preferred_username: 'lab', roles: ['ward-sharer'] };
    const allOnly: TestUser = { sub: 'u-all', preferred_username: 'all', roles: ['all-only'] };
    const doctorAndExternal: TestUser = {
      sub: 'u-both',
      preferred_username: 'both',
      roles: ['doctor-role', 'external-role'],
    };
    const study = { 'dicom-uid': '1.2.840.113619.2.55.3.7', level: 'study' };
    const create = async (user: TestUser | null, type: string, extra: Record<string, unknown> = {}) =>
      call(
        svc.url,
        'PUT',
        `/tokens/${type}`,
        { ...instantLink(type), resources: [study], 'validity-duration': null, ...extra },
        user ? { auth: await bearer(user) } : {},
      );
    const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

    beforeAll(async () => {
      const current = (await call(svc.url, 'GET', '/settings/roles')).body;
      current.roles['ward-sharer'] = { permissions: ['view', 'share'], 'authorized-labels': ['ward'] };
      current.roles['all-only'] = { permissions: ['all'], 'authorized-labels': ['*'] };
      expect((await call(svc.url, 'PUT', '/settings/roles', current)).status).toBe(200);
    });

    it('needs "share" or "all" for every type, and authorized labels that include "*"', async () => {
      const types = ['viewer-instant-link', 'download-instant-link', 'stone-viewer-publication'];
      const cases: [TestUser, number][] = [
        [admin, 200],
        [doctor, 200],
        [allOnly, 200],
        [doctorAndExternal, 200], // "*" among the labels: Orthanc's plugin lets this user see every study too
        [external, 403], // view and download, labels ["external"]: an instant link is a share too
        [labelled, 403], // share, but labels ["ward"]: only Orthanc can tell which studies carry them
        [{ sub: 'u-none', preferred_username: 'nobody', roles: [] }, 403],
      ];
      const seen: string[] = [];
      const expected: string[] = [];
      for (const [user, status] of cases) {
        for (const type of types) {
          const res = await create(user, type, { 'validity-duration': 60 });
          seen.push(`${user.preferred_username} ${type} ${res.status}`);
          expected.push(`${user.preferred_username} ${type} ${status}`);
          if (res.status === 403) expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
        }
      }
      expect(seen).toEqual(expected);
    });

    it('tells a user whose labels are limited to share through Orthanc (a 403 JSON), and creates nothing', async () => {
      const before = (await call(svc.url, 'GET', '/shares?limit=500')).body.total;
      const res = await create(labelled, 'stone-viewer-publication');
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(messageOf(res)).toMatch(/authorized-labels/);
      expect(messageOf(res)).toMatch(/share through Orthanc/);
      const external403 = await create(external, 'viewer-instant-link');
      expect(messageOf(external403)).toMatch(/"share" or "all"/);
      expect((await call(svc.url, 'GET', '/shares?limit=500')).body.total).toBe(before);
    });

    it('gives a token without an expiry the longest life, 30 days by default, said in the answer', async () => {
      const t0 = Date.now();
      const res = await create(doctor, 'stone-viewer-publication');
      expect(res.status).toBe(200);
      expect(res.body.request['validity-duration']).toBe(30 * 86400);
      const expiresAt = Date.parse(payloadOf(res.body.token).expiration_date);
      expect(expiresAt).toBeGreaterThanOrEqual(t0 + 30 * 86400_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86400_000 + 1000);
      expect(Date.parse(res.body.request['expiration-date'])).toBe(expiresAt);
    });

    it('refuses a longer life with a 400 naming BEARER_SHARE_MAX_VALIDITY, by duration or by date', async () => {
      const longer = await create(doctor, 'viewer-instant-link', { 'validity-duration': 30 * 86400 + 1 });
      expect(longer.status).toBe(400);
      expect(messageOf(longer)).toMatch(
        /validity-duration must be at most 2592000 seconds \(30 days\).*BEARER_SHARE_MAX_VALIDITY/,
      );
      const date = new Date(Date.now() + 40 * 86400_000).toISOString();
      const later = await create(doctor, 'viewer-instant-link', { 'expiration-date': date });
      expect(later.status).toBe(400);
      expect(messageOf(later)).toMatch(/expiration-date must be at most .*BEARER_SHARE_MAX_VALIDITY/);
      const shorter = await create(doctor, 'viewer-instant-link', { 'validity-duration': 3600 });
      expect(shorter.status).toBe(200);
      expect(shorter.body.request['validity-duration']).toBe(3600);
      const within = new Date(Date.now() + 29 * 86400_000).toISOString();
      const byDate = await create(doctor, 'viewer-instant-link', { 'expiration-date': within });
      expect(byDate.status).toBe(200);
      expect(byDate.body.request['expiration-date']).toBe(within);
    });

    it('leaves Basic callers (the plugin, trusted scripts) as they were: no expiry stays none, a year is a year', async () => {
      const none = await create(null, 'stone-viewer-publication');
      expect(none.status).toBe(200);
      expect(payloadOf(none.body.token).expiration_date).toBeNull();
      expect(none.body.request['validity-duration']).toBeNull();
      const year = await create(null, 'stone-viewer-publication', { 'validity-duration': 365 * 86400 });
      expect(year.status).toBe(200);
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
