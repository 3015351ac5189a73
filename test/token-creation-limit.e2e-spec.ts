import { call, RunningApp, startApp } from './support/app';
import { startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/** The error's message as one text, whether the service answers it as a string or as a list of messages. */
const messageOf = (res: { body: { message?: string | string[] } }) => [res.body.message ?? []].flat().join(' ');

// Token creation is rate-limited per verified caller (a Basic login, a Keycloak user), per minute: the registry and
// the verified-token cache cannot be grown without limit by one caller. Small limits here, to see them reached.

const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const USERS = {
  'share-user': 'change-me-plugin-1',
  'script-bot': 'change-me-script-2',
  spare: 'change-me-spare-33',
  validator: 'change-me-validator-4',
};
const doctor: TestUser = { sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] };
const colleague: TestUser = { sub: 'u-colleague', preferred_username: 'wilson', roles: ['doctor-role'] };
const STUDY = { 'dicom-uid': '1.2.840.113619.2.55.3.9', level: 'study' };
const body = { id: null, type: 'viewer-instant-link', resources: [STUDY], 'validity-duration': 3600 };

describe('rate limit of token creation (TOKEN_CREATION_LIMIT_BASIC=5, TOKEN_CREATION_LIMIT_BEARER=2)', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const create = (auth: string, sent: object = body) =>
    call(svc.url, 'PUT', '/tokens/viewer-instant-link', sent, { auth });

  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp({
      USERS: JSON.stringify(USERS),
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      TOKEN_CREATION_LIMIT_BASIC: '5',
      TOKEN_CREATION_LIMIT_BEARER: '2',
    });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('a Basic login past its limit gets a 429 JSON with Retry-After, naming the setting', async () => {
    const auth = basic('share-user', USERS['share-user']);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await create(auth)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await create(auth);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(messageOf(refused)).toMatch(/at most 5 a minute \(TOKEN_CREATION_LIMIT_BASIC\)/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(messageOf(refused)).toContain(`retry in ${retryAfter} s`);
  });

  it('counts per login: another login, and the routes the plugin calls on every access, are not held back', async () => {
    expect((await create(basic('script-bot', USERS['script-bot']))).status).toBe(200);
    const limited = basic('share-user', USERS['share-user']);
    expect((await create(limited)).status).toBe(429);
    const validate = await call(
      svc.url,
      'POST',
      '/tokens/validate',
      { ...STUDY, method: 'get', 'token-key': 'token', 'token-value': 'x' },
      { auth: limited },
    );
    expect(validate.status).toBe(200);
    const decode = await call(svc.url, 'POST', '/tokens/decode', { 'token-value': 'x' }, { auth: limited });
    expect(decode.status).toBe(200);
  });

  it('counts only verified callers: wrong passwords for a login do not use up its allowance', async () => {
    for (let i = 0; i < 10; i++) expect((await create(basic('spare', `wrong-${i}`))).status).toBe(401);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await create(basic('spare', USERS.spare))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });

  it('counts only tokens created: limit + 1 invalid bodies (400s) then the whole allowance still goes through', async () => {
    const auth = basic('validator', USERS.validator);
    const invalid = [
      { ...body, resources: [[STUDY]] },
      { ...body, type: 'stone-viewer-publication' },
      { ...body, 'validity-duration': -1 },
      { ...body, resources: 'x' },
      { ...body, id: {} },
      { ...body, resources: [{ level: 'hospital' }] },
    ];
    for (const bad of invalid) expect((await create(auth, bad)).status).toBe(400);
    // A 400 the service gives after validation (a type whose setting is missing) costs nothing either.
    const ohif = await call(
      svc.url,
      'PUT',
      '/tokens/ohif-viewer-publication',
      { ...body, type: 'ohif-viewer-publication' },
      { auth },
    );
    expect([ohif.status, messageOf(ohif)]).toEqual([400, expect.stringContaining('PUBLIC_OHIF_ROOT')]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await create(auth)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('a Keycloak user has their own, lower limit (TOKEN_CREATION_LIMIT_BEARER), apart from other users', async () => {
    const auth = `Bearer ${await idp.mint(doctor)}`;
    expect([(await create(auth)).status, (await create(auth)).status]).toEqual([200, 200]);
    const refused = await create(auth);
    expect(refused.status).toBe(429);
    expect(messageOf(refused)).toMatch(/at most 2 a minute \(TOKEN_CREATION_LIMIT_BEARER\)/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A new access token of the same user is the same caller (counted by subject, not by token).
    expect((await create(`Bearer ${await idp.mint(doctor)}`)).status).toBe(429);
    expect((await create(`Bearer ${await idp.mint(colleague)}`)).status).toBe(200);
  });
});

describe('rate limit of token creation, defaults', () => {
  let svc: RunningApp | undefined;
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
  });

  it("lets a busy hospital's OE2 through: 300 links in a few seconds through the plugin's one login", async () => {
    const app = (svc = await startApp());
    const statuses = new Map<number, number>();
    for (let wave = 0; wave < 30; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => call(app.url, 'PUT', '/tokens/viewer-instant-link', body)),
      );
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    }
    expect([...statuses]).toEqual([[200, 300]]);
  });

  it("3,001 invalid creations through the plugin's login (issue 24) do not stop the next valid one", async () => {
    const app = (svc = await startApp());
    const invalid = { ...body, resources: [[STUDY]] };
    const statuses = new Map<number, number>();
    for (let wave = 0; wave < 3001 / 23; wave++) {
      const n = Math.min(23, 3001 - wave * 23);
      const answers = await Promise.all(
        Array.from({ length: n }, () => call(app.url, 'PUT', '/tokens/viewer-instant-link', invalid)),
      );
      for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    }
    expect([...statuses]).toEqual([[400, 3001]]);
    expect((await call(app.url, 'PUT', '/tokens/viewer-instant-link', body)).status).toBe(200);
  }, 120_000);

  it('0 turns a limit off', async () => {
    const app = (svc = await startApp({ TOKEN_CREATION_LIMIT_BASIC: '0' }));
    for (let i = 0; i < 20; i++) {
      const res = await call(app.url, 'PUT', '/tokens/viewer-instant-link', body);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});
