import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportSPKI, importJWK, SignJWT } from 'jose';
import { call, RunningApp, startApp } from './support/app';
import { KeycloakAdminStandIn, StandInRealm } from './support/keycloak-admin-server';
import { ADMIN_CLIENT_SECRET, startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';
import { ALL_PERMISSIONS, ANONYMOUS } from './support/profiles';

// The realm's users are verified against a real OpenID provider (oidc-provider, in-process). Keycloak's admin REST
// API cannot run here (no Keycloak, no Docker): KeycloakAdminStandIn is a stand-in speaking its documented contract.

const doctor: TestUser = {
  sub: 'u-doctor',
  preferred_username: 'house',
  name: 'Gregory House',
  roles: ['doctor-role', 'offline_access'],
  groups: ['/diagnostics'],
};
const admin: TestUser = { sub: 'u-admin', preferred_username: 'root', roles: ['admin-role', 'default-roles-orthanc'] };
const external: TestUser = {
  sub: 'u-ext',
  preferred_username: 'ext',
  name: 'External Reader',
  roles: ['external-role'],
};

const realm: StandInRealm = {
  name: 'orthanc',
  roles: [
    { name: 'doctor-role' },
    { name: 'admin-role' },
    { name: 'external-role' },
    { name: 'staff', composite: true, composites: ['doctor-role'] },
  ],
  users: [
    {
      id: 'kc-1',
      username: 'scanner-bot',
      enabled: true,
      attributes: { 'api-key': ['key-doctor-123'] },
      realmRoles: ['doctor-role'],
    },
    {
      id: 'kc-2',
      username: 'ward-bot',
      enabled: true,
      attributes: { 'api-key': ['key-staff-456'] },
      realmRoles: ['external-role', 'staff'],
    },
    {
      id: 'kc-3',
      username: 'retired-bot',
      enabled: false,
      attributes: { 'api-key': ['key-disabled-789'] },
      realmRoles: ['doctor-role'],
    },
    {
      id: 'kc-4',
      username: 'future-bot',
      enabled: true,
      notBefore: Math.floor(Date.now() / 1000) + 3600,
      attributes: { 'api-key': ['key-future-000'] },
      realmRoles: ['doctor-role'],
    },
    { id: 'kc-5', username: 'alice', enabled: true, realmRoles: [] },
  ],
};

const profile = (svc: RunningApp, body: unknown, opts = {}) => call(svc.url, 'POST', '/user/get-profile', body, opts);
const userToken = (value: string) => ({ 'token-key': 'token', 'token-value': value, 'server-id': 'orthanc-1' });
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('POST /user/get-profile with Keycloak', () => {
  let idp: TestOidcProvider;
  let adminApi: KeycloakAdminStandIn;
  let svc: RunningApp;

  beforeAll(async () => {
    idp = await startOidcProvider();
    adminApi = await new KeycloakAdminStandIn(realm, (t) => idp.isAdminToken(t)).start();
    svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_ADMIN_URI: adminApi.adminUri,
      KEYCLOAK_CLIENT_SECRET: ADMIN_CLIENT_SECRET,
      ENABLE_KEYCLOAK_API_KEYS: 'true',
      // No JWKS cooldown here, so that the rotation tests below need no wait; the rate limit is tested on its own.
      KEYCLOAK_JWKS_COOLDOWN: '0',
    });
  });
  afterAll(async () => {
    await svc?.close();
    await adminApi?.close();
    await idp?.close();
  });

  describe('user tokens', () => {
    it('maps a valid token to the shipped doctor-role permissions and labels', async () => {
      const res = await profile(svc, userToken(await idp.mint(doctor)));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: 'Gregory House',
        permissions: ['view', 'download', 'share', 'send'],
        'authorized-labels': ['*'],
        validity: expect.any(Number),
        'user-id': 'u-doctor',
        groups: ['/diagnostics'],
      });
      expect(Number.isInteger(res.body.validity) && res.body.validity > 0 && res.body.validity <= 60).toBe(true);
    });

    it('accepts the Authorization: Bearer form and falls back to preferred_username for the name', async () => {
      const res = await profile(svc, {
        'token-key': 'Authorization',
        'token-value': `Bearer ${await idp.mint(admin)}`,
      });
      expect(res.body).toMatchObject({
        name: 'root',
        permissions: ALL_PERMISSIONS,
        'authorized-labels': ['*'],
        'user-id': 'u-admin',
        groups: null,
      });
    });

    it('appends roles in the user order, skipping duplicates', async () => {
      const both = { ...external, roles: ['external-role', 'doctor-role'] };
      const res = await profile(svc, userToken(await idp.mint(both)));
      expect(res.body.permissions).toEqual(['view', 'download', 'share', 'send']);
      expect(res.body['authorized-labels']).toEqual(['external', '*']);
    });

    it('gives a known user with no configured role no permissions', async () => {
      const res = await profile(
        svc,
        userToken(await idp.mint({ sub: 'u-x', preferred_username: 'x', roles: ['offline_access'] })),
      );
      expect(res.body).toMatchObject({ name: 'x', permissions: [], 'authorized-labels': [], 'user-id': 'u-x' });
    });

    it('never lets a profile outlive its token', async () => {
      const res = await profile(svc, userToken(await idp.mint(doctor, { expiresIn: 10 })));
      expect(res.body.validity).toBeGreaterThanOrEqual(1);
      expect(res.body.validity).toBeLessThanOrEqual(10);
    });
  });

  describe('tokens that are not valid realm access tokens get the anonymous profile', () => {
    it('no token', async () => {
      for (const body of [{}, { 'token-key': '', 'token-value': '' }, { 'token-key': 'token', 'token-value': null }]) {
        const res = await profile(svc, body);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(ANONYMOUS);
      }
    });

    it('expired beyond the clock tolerance', async () => {
      expect((await profile(svc, userToken(await idp.mint(doctor, { expiresIn: -120 })))).body).toEqual(ANONYMOUS);
    });

    it('a wrong issuer', async () => {
      const token = await idp.mint(doctor, { issuer: `http://127.0.0.1:${idp.port}/realms/other` });
      expect((await profile(svc, userToken(token))).body).toEqual(ANONYMOUS);
    });

    it('a wrong audience', async () => {
      expect((await profile(svc, userToken(await idp.mint(doctor, { audience: 'orthanc' })))).body).toEqual(ANONYMOUS);
    });

    it('an ID or refresh token (Keycloak typ claim other than Bearer)', async () => {
      expect((await profile(svc, userToken(await idp.mint(doctor, { typ: 'ID' })))).body).toEqual(ANONYMOUS);
    });

    it('alg none', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: idp.issuer,
        aud: 'account',
        sub: 'u-admin',
        exp: now + 300,
        typ: 'Bearer',
        realm_access: { roles: ['admin-role'] },
      };
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      expect((await profile(svc, userToken(token))).body).toEqual(ANONYMOUS);
    });

    it('HS256 signed with the provider public key (algorithm confusion)', async () => {
      const pub = await importJWK(idp.publicJwk(), 'RS256');
      const pem = await exportSPKI(pub as Parameters<typeof exportSPKI>[0]);
      const token = await new SignJWT({ typ: 'Bearer', realm_access: { roles: ['admin-role'] } })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: idp.currentKid })
        .setIssuer(idp.issuer)
        .setAudience('account')
        .setSubject('u-admin')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(pem));
      expect((await profile(svc, userToken(token))).body).toEqual(ANONYMOUS);
    });

    it('an unknown kid, and a foreign key claiming the realm kid', async () => {
      const foreign = await TestOidcProvider.foreignKey();
      expect((await profile(svc, userToken(await idp.mint(admin, { key: foreign })))).body).toEqual(ANONYMOUS);
      const impostor = { ...foreign, kid: idp.currentKid };
      expect((await profile(svc, userToken(await idp.mint(admin, { key: impostor })))).body).toEqual(ANONYMOUS);
    });

    it('a tampered payload', async () => {
      const [h, , s] = (await idp.mint(doctor)).split('.');
      const forged = `${h}.${b64({ sub: 'u-doctor', realm_access: { roles: ['admin-role'] } })}.${s}`;
      expect((await profile(svc, userToken(forged))).body).toEqual(ANONYMOUS);
    });

    it('a share token and a Basic credential', async () => {
      const share = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
        id: null,
        resources: [],
        type: 'viewer-instant-link',
        'expiration-date': null,
        'validity-duration': 60,
      });
      expect(share.status).toBe(200);
      expect((await profile(svc, userToken(share.body.token))).body).toEqual(ANONYMOUS);
      const basic = {
        'token-key': 'Authorization',
        'token-value': `Basic ${Buffer.from('share-user:change-me').toString('base64')}`,
      };
      expect((await profile(svc, basic)).body).toEqual(ANONYMOUS);
    });
  });

  describe('realm key rotation', () => {
    it('verifies tokens signed with a new key without a restart, and drops a removed key', async () => {
      const before = await idp.mint(doctor);
      expect((await profile(svc, userToken(before))).body.name).toBe('Gregory House');
      const oldKid = idp.currentKid;
      const newKid = await idp.rotateKey({ keepOld: false });
      expect(newKid).not.toBe(oldKid);
      const after = await idp.mint(external);
      expect((await profile(svc, userToken(after))).body).toMatchObject({
        name: 'External Reader',
        permissions: ['view', 'download'],
      });
      // The refetched key set no longer holds the old key: its tokens are no longer trusted.
      expect((await profile(svc, userToken(before))).body).toEqual(ANONYMOUS);
    });
  });

  describe('api-key lookups (admin API)', () => {
    const apiKey = (value: string) => ({ 'token-key': 'api-key', 'token-value': value });

    it('maps the effective realm roles of the user holding the key', async () => {
      const res = await profile(svc, apiKey('key-doctor-123'));
      expect(res.body).toEqual({
        name: 'scanner-bot',
        permissions: ['view', 'download', 'share', 'send'],
        'authorized-labels': ['*'],
        validity: 60,
        'user-id': 'kc-1',
        groups: null,
      });
    });

    it('includes roles reached through composite roles', async () => {
      const res = await profile(svc, apiKey('key-staff-456'));
      expect(res.body.name).toBe('ward-bot');
      expect(res.body.permissions.sort()).toEqual(['download', 'send', 'share', 'view']);
    });

    it('answers the JSON literal null for an unknown key, a prefix of a key, a disabled or not-yet-valid user', async () => {
      for (const value of ['no-such-key', 'key-doctor', 'key-disabled-789', 'key-future-000', 'key doctor']) {
        const res = await profile(svc, apiKey(value));
        expect(res.status).toBe(200);
        expect(res.text).toBe('null');
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });

    it('asks the admin API with one cached client-credentials token', async () => {
      await profile(svc, apiKey('key-doctor-123'));
      const tokens = idp.hitCount('/token');
      expect(tokens).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 3; i++) expect((await profile(svc, apiKey('key-doctor-123'))).body.name).toBe('scanner-bot');
      expect(idp.hitCount('/token')).toBe(tokens);
      expect(adminApi.requests).toContain('GET /admin/realms/orthanc/users');
      expect(adminApi.requests).toContain('GET /admin/realms/orthanc/users/kc-1/role-mappings/realm/composite');
    });
  });

  describe('user-id lookups', () => {
    it('names a known user, with no permissions', async () => {
      const res = await profile(svc, { 'user-id': 'kc-5' });
      expect(res.body).toEqual({
        name: 'alice',
        permissions: [],
        'authorized-labels': [],
        validity: 60,
        'user-id': 'kc-5',
        groups: null,
      });
    });

    it('answers null for an unknown id, including one that tries to walk the admin API', async () => {
      for (const id of ['nobody', '../roles', 'kc-5/role-mappings/realm/composite']) {
        const res = await profile(svc, { 'user-id': id });
        expect(res.text).toBe('null');
      }
    });
  });

  describe('a failing admin API', () => {
    it('answers a 503 JSON error, and serves again once it is back', async () => {
      adminApi.failWith = 500;
      try {
        const res = await profile(svc, { 'token-key': 'api-key', 'token-value': 'key-doctor-123' });
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
        expect(res.body.errorId).toEqual(expect.any(String));
      } finally {
        adminApi.failWith = undefined;
      }
      expect((await profile(svc, { 'user-id': 'kc-5' })).body.name).toBe('alice');
    });
  });

  describe('get-profile input', () => {
    it('is a 400 naming the field for a wrong type', async () => {
      const res = await profile(svc, { 'token-key': 'token', 'token-value': 42 });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('token-value');
    });

    it('stays Basic-only: a realm bearer token is refused', async () => {
      const res = await profile(svc, {}, { auth: `Bearer ${await idp.mint(admin)}` });
      expect(res.status).toBe(401);
    });
  });
});

describe('JWKS refetch rate limit', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: idp.realmUri });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('a burst of tokens with random kids does not make the service hammer the realm', async () => {
    // Minted first (10 RSA keys take a while on a loaded machine), so that the burst itself comes at once.
    const tokens = await Promise.all(
      Array.from({ length: 10 }, async () => idp.mint(admin, { key: await TestOidcProvider.foreignKey() })),
    );
    expect((await profile(svc, userToken(await idp.mint(doctor)))).body.name).toBe('Gregory House');
    const fetched = idp.hitCount('/jwks');
    expect(fetched).toBe(1);
    const answers = await Promise.all(tokens.map((t) => profile(svc, userToken(t))));
    for (const res of answers) expect(res.body).toEqual(ANONYMOUS);
    // The whole burst arrives within one cooldown: it costs at most one refetch.
    expect(idp.hitCount('/jwks')).toBeLessThanOrEqual(fetched + 1);
  });
});

describe('a realm key rotation right after a flood of unknown kids (default cooldown)', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: idp.realmUri });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it("accepts the new key's first token, and the flood and the rotation cost at most one key-set fetch each", async () => {
    const flood = await Promise.all(
      Array.from({ length: 20 }, async () => idp.mint(admin, { key: await TestOidcProvider.foreignKey() })),
    );
    expect((await profile(svc, userToken(await idp.mint(doctor)))).body.name).toBe('Gregory House');
    const fetched = idp.hitCount('/jwks');
    for (const res of await Promise.all(flood.map((t) => profile(svc, userToken(t))))) {
      expect(res.body).toEqual(ANONYMOUS);
    }
    const rotatedAt = Date.now();
    await idp.rotateKey({ keepOld: false });
    const res = await profile(svc, userToken(await idp.mint(external)));
    const elapsed = Date.now() - rotatedAt;
    process.stdout.write(`[oidc] a key rotated right after a flood of 20 unknown kids: answered after ${elapsed} ms\n`);
    expect(res.body).toMatchObject({ name: 'External Reader', 'user-id': 'u-ext' });
    expect(idp.hitCount('/jwks') - fetched).toBeLessThanOrEqual(2);
  }, 30_000);
});

describe('Keycloak unreachable', () => {
  it('down at start-up: 503 JSON for a user token, the process keeps serving, and it recovers without restart', async () => {
    const port = await freePort();
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: `http://127.0.0.1:${port}/realms/orthanc/`,
      KEYCLOAK_TIMEOUT: '1000',
    });
    const idp = new TestOidcProvider();
    idp.port = port;
    try {
      // A token shaped like the realm's (signed by a key the realm will not know): needs Keycloak to be judged.
      const early = await new TestOidcProvider().mint(doctor, {
        key: await TestOidcProvider.foreignKey(),
        issuer: `http://127.0.0.1:${port}/realms/orthanc`,
      });
      const res = await profile(svc, userToken(early));
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
      expect((await profile(svc, {})).body).toEqual(ANONYMOUS);

      await idp.start();
      expect((await profile(svc, userToken(await idp.mint(doctor)))).body.name).toBe('Gregory House');
    } finally {
      await svc.close();
      await idp.close();
    }
  });

  it('hanging: the lookup gives up after KEYCLOAK_TIMEOUT with a 503', async () => {
    const hang: Server = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const { port } = hang.address() as AddressInfo;
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: `http://127.0.0.1:${port}/realms/orthanc/`,
      KEYCLOAK_TIMEOUT: '300',
    });
    try {
      const token = await new TestOidcProvider().mint(doctor, {
        key: await TestOidcProvider.foreignKey(),
        issuer: `http://127.0.0.1:${port}/realms/orthanc`,
      });
      const res = await profile(svc, userToken(token));
      expect(res.status).toBe(503);
      expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
    } finally {
      await svc.close();
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });

  it('gone after its keys were fetched: cached keys still verify, an unknown kid is a 503', async () => {
    const idp = await startOidcProvider();
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_JWKS_COOLDOWN: '0',
      KEYCLOAK_TIMEOUT: '1000',
    });
    try {
      expect((await profile(svc, userToken(await idp.mint(doctor)))).body.name).toBe('Gregory House');
      const later = await idp.mint(external);
      await idp.close();
      expect((await profile(svc, userToken(later))).body.name).toBe('External Reader');
      const res = await profile(svc, userToken(await idp.mint(admin, { key: await TestOidcProvider.foreignKey() })));
      expect(res.status).toBe(503);
    } finally {
      await svc.close();
      await idp.close();
    }
  });
});

describe('POST /user/get-profile without Keycloak', () => {
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

  it('gives every user token and api-key the anonymous profile, and knows no user id', async () => {
    expect((await profile(svc, userToken(await idp.mint(admin)))).body).toEqual(ANONYMOUS);
    expect((await profile(svc, { 'token-key': 'api-key', 'token-value': 'key-doctor-123' })).body).toEqual(ANONYMOUS);
    expect((await profile(svc, { 'user-id': 'kc-5' })).text).toBe('null');
    expect(idp.hitCount('/.well-known/openid-configuration')).toBe(0);
  });
});

describe('a realm reached on another URL than its issuer (internal URL, public hostname)', () => {
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startOidcProvider();
  });
  afterAll(() => idp.close());
  const internal = () => `http://localhost:${idp.port}/realms/orthanc/`;

  it('without KEYCLOAK_ISSUER, discovery refuses the mismatch: 503, never a wrong issuer accepted', async () => {
    const svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: internal() });
    try {
      expect((await profile(svc, userToken(await idp.mint(doctor)))).status).toBe(503);
    } finally {
      await svc.close();
    }
  });

  it('with KEYCLOAK_ISSUER, tokens of that issuer verify', async () => {
    const svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: internal(), KEYCLOAK_ISSUER: idp.issuer });
    try {
      expect((await profile(svc, userToken(await idp.mint(doctor)))).body.name).toBe('Gregory House');
      const other = await idp.mint(doctor, { issuer: `http://localhost:${idp.port}/realms/orthanc` });
      expect((await profile(svc, userToken(other))).body).toEqual(ANONYMOUS);
    } finally {
      await svc.close();
    }
  });

  it('a KEYCLOAK_ISSUER the realm does not announce is a 503 (misconfiguration, logged)', async () => {
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_ISSUER: 'https://sso.example.com/realms/orthanc',
    });
    try {
      expect((await profile(svc, userToken(await idp.mint(doctor)))).status).toBe(503);
    } finally {
      await svc.close();
    }
  });
});
