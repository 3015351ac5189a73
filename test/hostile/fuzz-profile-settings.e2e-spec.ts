import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { jsonDepthExceeds } from '@app/common';
import { call, RunningApp, startApp } from '../support/app';
import { startOidcProvider, TestOidcProvider, TestUser } from '../support/oidc-provider';
import {
  Answer,
  assertSane,
  counts,
  effectiveToken,
  hostileValue,
  isPlainObject,
  Mutation,
  mutate,
  mutationArb,
  nastyString,
  parsedAsServiceSeesIt,
  RawMutation,
  rawMutationArb,
  runCases,
  send,
  toBytes,
  transportArb,
  transportHeaders,
} from './support/hostile';
import { ALL_PERMISSIONS as PERMISSIONS, ANONYMOUS } from '../support/profiles';

// Property-based hostile input on POST /user/get-profile (Keycloak on, against a real OpenID provider) and
// PUT /settings/roles, against one in-process service. Invariants: no 5xx, always JSON; a user profile only for a
// genuine realm access token (the exact string minted here), naming that token's subject; the roles configuration
// changes only to a valid one, and the file on disk and the one in memory end up equal.

const CASES = { profile: 1500, roles: 1500 };
// Thousands of requests per test: minutes, not seconds, when the 2 cores are shared with other builds and suites.
jest.setTimeout(300_000);
const PROFILE_KEYS = ['token-key', 'token-value', 'server-id', 'user-id'];
const ROLES_KEYS = ['roles', 'available-labels', 'available_labels'];

const doctor: TestUser = { sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] };
const admin: TestUser = { sub: 'u-admin', preferred_username: 'root', roles: ['admin-role'] };

describe('hostile input on get-profile and the roles editor (property-based)', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const genuine = new Map<string, string>(); // token -> sub
  let candidates: string[] = [];
  const stats = {
    users: 0,
    anonymous: 0,
    nulls: 0,
    rolesReplaced: 0,
    rolesRefused: 0,
    statuses: new Map<number, number>(),
  };
  const tally = (a: Answer) => stats.statuses.set(a.status, (stats.statuses.get(a.status) ?? 0) + 1);

  beforeAll(async () => {
    idp = await startOidcProvider();
    // Hundreds of generated wrong credentials: the login backoff (its own suite) would hold them for minutes.
    svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: idp.realmUri, BASIC_FAILURE_DELAY_MAX_MS: '0' });
    const good = [await idp.mint(doctor), await idp.mint(admin), await idp.mint(doctor, { expiresIn: 3600 })];
    good.forEach((t, i) => genuine.set(t, i === 1 ? 'u-admin' : 'u-doctor'));
    const [h, p, s] = good[0].split('.');
    const foreign = await TestOidcProvider.foreignKey();
    const bad = [
      await idp.mint(admin, { expiresIn: -600 }),
      await idp.mint(admin, { audience: 'other' }),
      await idp.mint(admin, { issuer: 'http://evil.example/realms/orthanc' }),
      await idp.mint(admin, { typ: 'Refresh' }),
      await idp.mint(admin, { key: foreign }),
      await idp.mint(admin, { key: { ...foreign, kid: idp.currentKid } }),
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
      `${h}.${Buffer.from(JSON.stringify({ sub: 'u-admin', realm_access: { roles: ['admin-role'] } })).toString('base64url')}.${s}`,
      good[0].slice(0, -3),
      `${good[0]}A`,
      `${good[0]}.${s}`,
      `${h}..${s}`,
    ];
    candidates = [...good, ...bad];
    // The genuine ones do give their user (the oracle is not vacuous).
    for (const t of good) {
      const res = await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': t });
      expect(res.body['user-id']).toBe(genuine.get(t));
    }
  });

  afterAll(async () => {
    const health = await call(svc.url, 'GET', '/health', undefined, { auth: null });
    await svc?.close();
    await idp?.close();
    process.stdout.write(
      `[hostile] get-profile and roles: ${JSON.stringify(Object.fromEntries(counts))} cases; ` +
        `${stats.users} user profiles, ${stats.anonymous} anonymous, ${stats.nulls} null; ${stats.rolesReplaced} roles replaced, ` +
        `${stats.rolesRefused} refused; statuses ${JSON.stringify(Object.fromEntries(stats.statuses))}\n`,
    );
    expect(health.status).toBe(200);
  });

  const profileCase = fc.record({
    token: fc.oneof(
      { weight: 4, arbitrary: fc.nat().map((i) => candidates[i % candidates.length]) },
      { weight: 1, arbitrary: nastyString },
    ),
    key: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('token', 'authorization', 'Authorization') },
      { weight: 1, arbitrary: fc.constantFrom('api-key', '', 'x'.repeat(300)) },
    ),
    decoration: fc.constantFrom('', 'Bearer ', 'bearer  ', ' ', '\n'),
    userId: fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.oneof(nastyString, fc.constantFrom('u-admin', '../users', ' ')) },
    ),
    mutations: fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 1, arbitrary: fc.array(mutationArb(PROFILE_KEYS), { minLength: 1, maxLength: 3 }) },
    ),
    raw: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as RawMutation[]) },
      { weight: 1, arbitrary: fc.array(rawMutationArb, { minLength: 1, maxLength: 2 }) },
    ),
    transport: transportArb,
  });

  it(`POST /user/get-profile: ${CASES.profile} mutated requests, a user profile only for a genuine realm token`, async () => {
    await runCases('get-profile', profileCase, CASES.profile, async (c) => {
      const base: Record<string, unknown> = {
        'token-key': c.key,
        'token-value': c.decoration + c.token,
        'server-id': 'orthanc-1',
      };
      if (c.userId !== undefined) base['user-id'] = c.userId;
      const bytes = toBytes(mutate(base, c.mutations), c.raw, PROFILE_KEYS);
      const answer = await send(svc.url, {
        method: 'POST',
        path: '/user/get-profile',
        headers: transportHeaders(c.transport),
        body: bytes,
        chunks: c.transport.chunks ?? undefined,
      });
      tally(answer);
      const label = `get-profile ${bytes.toString('utf8').slice(0, 300)}`;
      assertSane(answer, label);
      if (c.transport.auth !== 'good') {
        if (answer.status < 400) throw new Error(`${label}: ${answer.status} without valid credentials`);
        return;
      }
      const seen = parsedAsServiceSeesIt(bytes);
      const body = seen.ok && isPlainObject(seen.value) ? seen.value : undefined;
      const token = effectiveToken(body?.['token-value']);
      const sub = token ? genuine.get(token) : undefined;
      if (answer.status !== 200) return;
      const a = answer.json as Record<string, unknown> | null;
      if (a === null) {
        // null: an unknown user id (no admin client here), never for a token.
        if (typeof body?.['user-id'] !== 'string' || !body['user-id'].trim())
          throw new Error(`${label}: null without a user-id`);
        stats.nulls++;
        return;
      }
      if (!Array.isArray(a.permissions) || !a.permissions.every((p) => PERMISSIONS.includes(p as string)))
        throw new Error(`${label}: bad permissions ${answer.text}`);
      if (!Number.isInteger(a.validity) || (a.validity as number) <= 0)
        throw new Error(`${label}: validity ${String(a.validity)}`);
      if (a['user-id'] === null) {
        expect(a).toEqual(ANONYMOUS);
        stats.anonymous++;
      } else {
        if (!sub || a['user-id'] !== sub || body?.['token-key'] === 'api-key')
          throw new Error(`${label}: A USER PROFILE FOR A TOKEN THAT IS NOT GENUINE ${answer.text}`);
        stats.users++;
      }
      // The reverse: a genuine token in a well-typed body gives its user.
      const wellTyped =
        body &&
        PROFILE_KEYS.every(
          (f) =>
            body[f] === undefined ||
            body[f] === null ||
            (typeof body[f] === 'string' && body[f].length <= 256) ||
            f === 'token-value',
        );
      const userId = body?.['user-id'];
      if (sub && wellTyped && body['token-key'] !== 'api-key' && !(typeof userId === 'string' && userId.trim())) {
        if (a['user-id'] !== sub) throw new Error(`${label}: a genuine token did not give its user: ${answer.text}`);
      }
    });
    expect(stats.users).toBeGreaterThan(30);
  });

  // ---------------------------------------------------------------------------------------------------------------
  const permissionArb = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...PERMISSIONS) },
    { weight: 1, arbitrary: fc.oneof(nastyString, fc.constantFrom('ALL', 'view ', 'admin', null, 1)) },
  );
  const labelArb = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('*', 'external', 'cardio', 'é-label') },
    { weight: 1, arbitrary: fc.oneof(nastyString, fc.constant(null)) },
  );
  const grantArb = fc.record({
    permissions: fc.array(permissionArb, { maxLength: 6 }),
    labels: fc.array(labelArb, { maxLength: 3 }),
    spelling: fc.constantFrom('authorized-labels', 'authorized-labels', 'authorized_labels', 'both'),
  });
  const rolesCase = fc.record({
    roles: fc.dictionary(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom('doctor-role', 'admin-role', 'external-role', 'nurse') },
        { weight: 1, arbitrary: nastyString },
      ),
      grantArb,
      { maxKeys: 5 },
    ),
    available: fc.array(labelArb, { maxLength: 4 }),
    mutations: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 1, arbitrary: fc.array(mutationArb(ROLES_KEYS), { minLength: 1, maxLength: 2 }) },
    ),
    raw: fc.oneof(
      { weight: 5, arbitrary: fc.constant([] as RawMutation[]) },
      { weight: 1, arbitrary: fc.array(rawMutationArb, { minLength: 1, maxLength: 2 }) },
    ),
    transport: transportArb,
    deep: fc.option(hostileValue, { freq: 10 }),
  });

  /** PROTOCOL.md section 8, from the outside: a configuration a PUT must accept. */
  function validConfig(v: unknown): boolean {
    const labels = (x: unknown) =>
      x === undefined || (Array.isArray(x) && x.every((l) => typeof l === 'string' && l.length > 0));
    if (!isPlainObject(v) || !isPlainObject(v.roles)) return false;
    if ('available-labels' in v && 'available_labels' in v) return false;
    if (!labels('available-labels' in v ? v['available-labels'] : v.available_labels)) return false;
    return Object.entries(v.roles).every(
      ([name, g]) =>
        name.trim() !== '' &&
        isPlainObject(g) &&
        (g.permissions === undefined ||
          (Array.isArray(g.permissions) && g.permissions.every((p) => PERMISSIONS.includes(p as string)))) &&
        !('authorized-labels' in g && 'authorized_labels' in g) &&
        labels('authorized-labels' in g ? g['authorized-labels'] : g.authorized_labels),
    );
  }

  it(`PUT /settings/roles: ${CASES.roles} mutated configurations, only valid ones stored, memory and file equal`, async () => {
    await runCases('settings-roles', rolesCase, CASES.roles, async (c) => {
      const roles: Record<string, unknown> = {};
      for (const [name, g] of Object.entries(c.roles)) {
        const grant: Record<string, unknown> = { permissions: g.permissions };
        if (g.spelling === 'both') Object.assign(grant, { 'authorized-labels': g.labels, authorized_labels: g.labels });
        else grant[g.spelling] = g.labels;
        Object.defineProperty(roles, name, { value: grant, enumerable: true, writable: true, configurable: true });
      }
      const base: Record<string, unknown> = { roles, 'available-labels': c.available };
      if (c.deep !== null) base.extra = c.deep;
      const bytes = toBytes(mutate(base, c.mutations), c.raw, ROLES_KEYS);
      const answer = await send(svc.url, {
        method: 'PUT',
        path: '/settings/roles',
        headers: transportHeaders(c.transport),
        body: bytes,
        chunks: c.transport.chunks ?? undefined,
      });
      tally(answer);
      const label = `PUT roles ${bytes.toString('utf8').slice(0, 300)}`;
      assertSane(answer, label);
      const seen = parsedAsServiceSeesIt(bytes);
      const valid = seen.ok && validConfig(seen.value);
      if (answer.status === 200) {
        if (c.transport.auth !== 'good') throw new Error(`${label}: replaced without valid credentials`);
        if (!valid) throw new Error(`${label}: AN INVALID CONFIGURATION WAS STORED ${answer.text.slice(0, 300)}`);
        const sent = (seen as { value: { roles: Record<string, Record<string, unknown>> } }).value.roles;
        const stored = (answer.json as { roles: Record<string, { permissions: string[] }> }).roles;
        expect(Object.keys(stored).sort()).toEqual(Object.keys(sent).sort());
        for (const [name, g] of Object.entries(sent)) expect(stored[name].permissions).toEqual(g.permissions ?? []);
        stats.rolesReplaced++;
      } else {
        stats.rolesRefused++;
        if (
          valid &&
          c.transport.auth === 'good' &&
          bytes.length < 900_000 &&
          !jsonDepthExceeds(bytes.toString('utf8'), 30)
        ) {
          throw new Error(`${label}: a valid configuration was refused: ${answer.status} ${answer.text.slice(0, 300)}`);
        }
      }
    });
    // After the storm: one complete version on disk, the same as in memory, with known permissions only.
    const onDisk = JSON.parse(readFileSync(join(svc.dataDir, 'permissions.json'), 'utf8'));
    const inMemory = (await call(svc.url, 'GET', '/settings/roles')).body;
    expect(inMemory).toEqual(onDisk);
    for (const g of Object.values<{ permissions: string[] }>(onDisk.roles))
      for (const p of g.permissions) expect(PERMISSIONS).toContain(p);
    expect(stats.rolesReplaced).toBeGreaterThan(100);
  });
});
