import { constants, createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { call, RunningApp, startApp } from './support/app';
import { startOidcProvider, TestOidcProvider } from './support/oidc-provider';
import { ANONYMOUS } from './support/profiles';
import { createShare } from './support/shares';

// One rule set, two verification paths: POST /user/get-profile verifies an access token with jose, the @AllowBearer
// routes with passport-jwt (jsonwebtoken checks the signature), both through AccessTokenVerifier's key set and claim
// rules. The same matrix of tokens goes to both, and each must be accepted, refused or answered 503 by both alike.
// The tokens are signed here with keys that a real OpenID provider (oidc-provider, in-process) publishes beside its
// own: RSA with and without `alg`, EC P-256/384/521, Ed25519, and a 1024-bit RSA key that jose will not verify with.
//
// The one difference, documented (README, "Using another OpenID provider"): jsonwebtoken has no EdDSA, so an
// EdDSA-signed token is accepted by get-profile and refused (401) on the bearer routes.

type Outcome = 'accepted' | 'refused' | 'unavailable' | `status ${number}` | 'other user';
type Alg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

const now = () => Math.floor(Date.now() / 1000);
const seg = (v: unknown) =>
  (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))).toString('base64url');

interface SigningKey {
  kid: string;
  key: KeyObject;
  /** What the provider publishes for it (public half), as a private JWK for oidc-provider. */
  jwk: JWK;
}

function signingKey(kid: string, type: 'rsa' | 'ec' | 'ed25519', opts: object, alg?: string): SigningKey {
  const { privateKey } = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
  return {
    kid,
    key: privateKey,
    jwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', ...(alg ? { alg } : {}) },
  };
}

function signature(alg: string, key: KeyObject, input: string): Buffer {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('RS')) return sign(hash, Buffer.from(input), key);
  if (alg.startsWith('PS')) {
    return sign(hash, Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  if (alg.startsWith('ES')) return sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return sign(null, Buffer.from(input), key);
}

/** A compact JWS: header and claims as objects, or raw bytes/text for the cases that need them malformed. */
function jws(header: Record<string, unknown> | Buffer, claims: unknown, key: KeyObject, alg: string): string {
  const input = `${seg(header)}.${Buffer.isBuffer(claims) ? seg(claims) : seg(JSON.stringify(claims))}`;
  return `${input}.${signature(alg, key, input).toString('base64url')}`;
}

describe('get-profile and the bearer routes accept and refuse the same access tokens', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const issued: string[] = [];

  const rsa256 = signingKey('rsa-rs256', 'rsa', { modulusLength: 2048 }, 'RS256');
  const rsaAny = signingKey('rsa-any', 'rsa', { modulusLength: 2048 });
  const ec256 = signingKey('ec-256', 'ec', { namedCurve: 'P-256' }, 'ES256');
  const ec384 = signingKey('ec-384', 'ec', { namedCurve: 'P-384' }, 'ES384');
  const ec521 = signingKey('ec-521', 'ec', { namedCurve: 'P-521' }, 'ES512');
  const ed = signingKey('ed-25519', 'ed25519', {}, 'EdDSA');
  const weak = signingKey('rsa-1024', 'rsa', { modulusLength: 1024 }, 'RS256');
  const foreign = signingKey('rsa-rs256', 'rsa', { modulusLength: 2048 }, 'RS256'); // never published

  const claims = (over: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    aud: 'account',
    sub: 'u-admin',
    azp: 'orthanc',
    typ: 'Bearer',
    iat: now() - 1,
    exp: now() + 300,
    preferred_username: 'root',
    realm_access: { roles: ['admin-role'] },
    ...over,
  });
  /** A token of `key` (its kid), `alg` RS256 unless the key says otherwise; header and claims overridable. */
  const token = (
    key: SigningKey,
    over: { alg?: Alg; header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
  ) => {
    const alg = over.alg ?? ((key.jwk.alg as Alg | undefined) || 'RS256');
    return jws({ alg, typ: 'JWT', kid: key.kid, ...over.header }, claims(over.claims), key.key, alg);
  };

  async function viaProfile(on: RunningApp, t: string): Promise<Outcome> {
    const res = await call(on.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': t });
    if (res.status === 503) return 'unavailable';
    if (res.status !== 200) return `status ${res.status}`;
    if (JSON.stringify(res.body) === JSON.stringify(ANONYMOUS)) return 'refused';
    return res.body['user-id'] === 'u-admin' ? 'accepted' : 'other user';
  }
  async function viaBearer(on: RunningApp, t: string): Promise<Outcome> {
    const res = await call(on.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${t}` });
    if (res.status === 503) return 'unavailable';
    if (res.status === 401) return 'refused';
    return res.status === 200 ? 'accepted' : `status ${res.status}`;
  }

  /** Each case to both paths (its token made just before, so that the time cases keep their margins). */
  async function compare(
    cases: Array<[string, () => string | Promise<string>, Outcome, Outcome?]>,
    on: RunningApp = svc,
  ): Promise<{ seen: string[]; expected: string[] }> {
    const seen: string[] = [];
    const expected: string[] = [];
    for (const [name, make, outcome, bearerOutcome] of cases) {
      const t = await make();
      issued.push(t);
      seen.push(`${name}: get-profile ${await viaProfile(on, t)}, bearer ${await viaBearer(on, t)}`);
      expected.push(`${name}: get-profile ${outcome}, bearer ${bearerOutcome ?? outcome}`);
    }
    return { seen, expected };
  }

  beforeAll(async () => {
    idp = await startOidcProvider();
    idp.publishKeys([rsa256, rsaAny, ec256, ec384, ec521, ed, weak].map((k) => k.jwk));
    svc = await startApp(
      { ENABLE_OIDC: 'true', OIDC_ISSUER_URL: idp.realmUri, OIDC_JWKS_COOLDOWN: '0', LOG_LEVEL: 'debug' },
      { captureLogs: true },
    );
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('signatures, algorithms and keys', async () => {
    const genuine = () => token(rsa256);
    const [h, p, s] = genuine().split('.');
    const { seen, expected } = await compare([
      ['RS256 (the control)', genuine, 'accepted'],
      [
        "a token of the provider's own signing key",
        () => idp.mint({ sub: 'u-admin', preferred_username: 'root', roles: ['admin-role'] }),
        'accepted',
      ],
      ...(['RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const).map((alg): [string, () => string, Outcome] => [
        `${alg}, RSA key without alg`,
        () => token(rsaAny, { alg }),
        'accepted',
      ]),
      ['ES256, P-256', () => token(ec256), 'accepted'],
      ['ES384, P-384', () => token(ec384), 'accepted'],
      ['ES512, P-521', () => token(ec521), 'accepted'],
      ['EdDSA, Ed25519 (jsonwebtoken has no EdDSA)', () => token(ed), 'accepted', 'refused'],
      ['PS256 with an RS256 key', () => token(rsa256, { alg: 'PS256' }), 'refused'],
      ['ES256 header on the P-384 key', () => token(ec384, { alg: 'ES256' }), 'refused'],
      ['RS256 header, PS256 signature', () => `${h}.${p}.${token(rsaAny, { alg: 'PS256' }).split('.')[2]}`, 'refused'],
      ['a foreign key under a published kid', () => token(foreign), 'refused'],
      ['an unknown kid', () => token(foreign, { header: { kid: 'nobody' } }), 'refused'],
      ['no kid, several RS256 keys match', () => token(rsa256, { header: { kid: undefined } }), 'refused'],
      ['a kid that is a number', () => token(rsa256, { header: { kid: 42 } }), 'refused'],
      ['RS256 with a 1024-bit key (the provider misconfigured)', () => token(weak), 'unavailable'],
      ['alg none', () => `${seg({ alg: 'none', typ: 'JWT' })}.${p}.`, 'refused'],
      ['HS256 keyed with nothing', () => hs({ alg: 'HS256', typ: 'JWT', kid: rsa256.kid }, claims(), ''), 'refused'],
      ['tampered claims', () => `${h}.${seg(claims({ sub: 'u-other' }))}.${s}`, 'refused'],
      ['signature cut', () => `${h}.${p}.${s.slice(0, -4)}`, 'refused'],
      ['ES384 signature with one more character', () => `${token(ec384)}A`, 'refused'],
      ['padded signature', () => `${genuine()}==`, 'refused'],
    ]);
    expect(seen).toEqual(expected);
  });

  it('headers: typ, crit, b64, keys elsewhere, byte-order marks and non-ASCII text', async () => {
    const typed = (typ: unknown) => () => token(rsa256, { header: { typ } });
    const header = { alg: 'RS256', typ: 'JWT', kid: rsa256.kid };
    const { seen, expected } = await compare([
      ['no typ', typed(undefined), 'accepted'],
      ['typ jwt', typed('jwt'), 'accepted'],
      ['typ at+jwt', typed('at+jwt'), 'accepted'],
      ['typ application/at+jwt', typed('application/at+jwt'), 'accepted'],
      ['typ JOSE', typed('JOSE'), 'refused'],
      ['typ logout+jwt', typed('logout+jwt'), 'refused'],
      ['typ 7', typed(7), 'refused'],
      [
        'crit b64 with b64 true (jose alone would accept it)',
        () => token(rsa256, { header: { crit: ['b64'], b64: true } }),
        'refused',
      ],
      ['crit b64 with b64 false', () => token(rsa256, { header: { crit: ['b64'], b64: false } }), 'refused'],
      ['crit exp', () => token(rsa256, { header: { crit: ['exp'], exp: 1 } }), 'refused'],
      ['b64 false without crit (ignored by both)', () => token(rsa256, { header: { b64: false } }), 'accepted'],
      [
        'jku and x5u, never followed',
        () => token(rsa256, { header: { jku: 'http://127.0.0.1:9/', x5u: 'http://127.0.0.1:9/' } }),
        'accepted',
      ],
      ['a foreign embedded jwk', () => token(foreign, { header: { jwk: foreign.jwk } }), 'refused'],
      ['non-ASCII header text', () => token(rsa256, { header: { note: 'Zürich ✓' } }), 'accepted'],
      ['a non-ASCII unknown kid', () => token(rsa256, { header: { kid: 'clé' } }), 'refused'],
      [
        'header with a byte-order mark',
        () => jws(Buffer.concat([BOM, Buffer.from(JSON.stringify(header))]), claims(), rsa256.key, 'RS256'),
        'refused',
      ],
      [
        'header of invalid UTF-8',
        () =>
          jws(
            Buffer.concat([
              Buffer.from(JSON.stringify(header).slice(0, -1)),
              Buffer.from(',"x":"\xff\xfe"}', 'latin1'),
            ]),
            claims(),
            rsa256.key,
            'RS256',
          ),
        'refused',
      ],
    ]);
    expect(seen).toEqual(expected);
  });

  it('claims: their form, type, issuer, audience, subject and ID-token marks', async () => {
    const withClaims = (over: Record<string, unknown>) => () => token(rsa256, { claims: over });
    const raw = (bytes: Buffer) => () => jws({ alg: 'RS256', kid: rsa256.kid }, bytes, rsa256.key, 'RS256');
    const json = (text: string) => raw(Buffer.from(text));
    const { seen, expected } = await compare([
      ['claims an array', json('[{"sub":"u-admin"}]'), 'refused'],
      ['claims a string', json('"u-admin"'), 'refused'],
      ['claims null', json('null'), 'refused'],
      ['claims not JSON', json('{sub: u-admin}'), 'refused'],
      [
        'claims with a byte-order mark',
        () => raw(Buffer.concat([BOM, Buffer.from(JSON.stringify(claims()))]))(),
        'refused',
      ],
      [
        'claims of invalid UTF-8',
        () => raw(Buffer.from(JSON.stringify(claims({ name: 'NAME' })).replace('NAME', '\xff'), 'latin1'))(),
        'refused',
      ],
      ['typ bearer', withClaims({ typ: 'bearer' }), 'accepted'],
      ['no typ', withClaims({ typ: undefined }), 'accepted'],
      ...['ID', 'Refresh', 'Logout', '', 42].map((typ): [string, () => string, Outcome] => [
        `typ ${JSON.stringify(typ)}`,
        withClaims({ typ }),
        'refused',
      ]),
      ...['at_hash', 'c_hash', 's_hash'].map((c): [string, () => string, Outcome] => [
        c,
        withClaims({ [c]: 'x' }),
        'refused',
      ]),
      ['a nonce on a token typed Bearer (Keycloak before 25)', withClaims({ nonce: 'n' }), 'accepted'],
      ['a nonce on an untyped token (an ID token)', withClaims({ nonce: 'n', typ: undefined }), 'refused'],
      ['another issuer', withClaims({ iss: 'http://evil.example/realms/orthanc' }), 'refused'],
      ['the issuer with a trailing slash', () => token(rsa256, { claims: { iss: `${idp.issuer}/` } }), 'refused'],
      ['no issuer', withClaims({ iss: undefined }), 'refused'],
      ['aud in a list', withClaims({ aud: ['x', 'account'] }), 'accepted'],
      ['another aud', withClaims({ aud: 'orthanc' }), 'refused'],
      ['aud a number', withClaims({ aud: [42] }), 'refused'],
      ['no aud', withClaims({ aud: undefined }), 'refused'],
      ['no sub', withClaims({ sub: undefined }), 'refused'],
      ['sub empty', withClaims({ sub: '' }), 'refused'],
      ['sub a number', withClaims({ sub: 7 }), 'refused'],
    ]);
    expect(seen).toEqual(expected);
  });

  it('time: expiry and not-before with the same clock tolerance (30 s), iat', async () => {
    const at = (over: () => Record<string, unknown>) => () => token(rsa256, { claims: over() });
    const rawExp = (exp: string) => () =>
      jws(
        { alg: 'RS256', kid: rsa256.kid },
        Buffer.from(JSON.stringify(claims()).replace(/"exp":\d+/, `"exp":${exp}`)),
        rsa256.key,
        'RS256',
      );
    const { seen, expected } = await compare([
      ['expired 10 s ago (within the tolerance)', at(() => ({ exp: now() - 10 })), 'accepted'],
      ['expired 2 min ago', at(() => ({ exp: now() - 120 })), 'refused'],
      ['no exp', at(() => ({ exp: undefined })), 'refused'],
      ['exp a string', at(() => ({ exp: String(now() + 300) })), 'refused'],
      ['exp with a fraction', at(() => ({ exp: now() + 300.5 })), 'accepted'],
      ['exp 1e400 (Infinity)', rawExp('1e400'), 'refused'],
      ['nbf in 10 s (within the tolerance)', at(() => ({ nbf: now() + 10 })), 'accepted'],
      ['nbf in 2 min', at(() => ({ nbf: now() + 120 })), 'refused'],
      ['nbf a string', at(() => ({ nbf: 'soon' })), 'refused'],
      ['nbf null', at(() => ({ nbf: null })), 'refused'],
      ['iat a string', at(() => ({ iat: String(now()) })), 'refused'],
      ['iat in the future', at(() => ({ iat: now() + 3600 })), 'accepted'],
      ['no iat', at(() => ({ iat: undefined })), 'accepted'],
    ]);
    expect(seen).toEqual(expected);
  });

  it('the bearer Caller is the user get-profile names, with the same permissions', async () => {
    const doctor = () =>
      token(ec256, {
        claims: {
          sub: 'u-doc',
          preferred_username: 'house',
          name: 'Gregory House',
          realm_access: { roles: ['doctor-role'] },
        },
      });
    const profile = await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': doctor() });
    expect(profile.body).toMatchObject({ name: 'Gregory House', 'user-id': 'u-doc' });
    expect(profile.body.permissions).toContain('share');
    expect(profile.body.permissions).not.toContain('admin-permissions');
    // What the doctor's profile grants (share), and what it does not (admin-permissions: the roles editor).
    const share = await createShare(svc.url, { auth: `Bearer ${doctor()}`, study: '1.2.3.parity' });
    const record = await call(svc.url, 'GET', `/shares/${share.id}`);
    expect(record.body.creator).toEqual({
      kind: 'bearer',
      name: profile.body.name,
      'user-id': profile.body['user-id'],
    });
    expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${doctor()}` })).status).toBe(403);
  });

  it('logs a debug line for each kind of refusal, never a token', () => {
    expect(svc.logs.some((l) => l.includes('access token refused: jsonwebtoken (invalid signature)'))).toBe(true);
    expect(
      svc.logs.some((l) =>
        l.includes("access token refused: alg EdDSA, which passport-jwt's jsonwebtoken cannot verify"),
      ),
    ).toBe(true);
    // get-profile: jose refuses crit exp and an unencoded payload itself, crit b64 is the rule's; the bearer: all three.
    expect(svc.logs.filter((l) => l.includes('access token refused: crit (header)')).length).toBeGreaterThanOrEqual(4);
    const leaked = issued
      .flatMap((t) => t.split('.').slice(1))
      .filter((part) => part.length > 20 && svc.logs.some((l) => l.includes(part)));
    expect(leaked).toEqual([]);
  });

  // After the log check: the service's logger is one per process, so another app's start ends svc's captured logs.
  it('another configuration (authorized party, at+jwt required, no clock tolerance, two algorithms) applies to both', async () => {
    const strict = await startApp({
      ENABLE_OIDC: 'true',
      OIDC_ISSUER_URL: idp.realmUri,
      OIDC_JWKS_COOLDOWN: '0',
      OIDC_AUTHORIZED_PARTIES: 'orthanc',
      OIDC_REQUIRE_AT_JWT: 'true',
      OIDC_CLOCK_TOLERANCE: '0',
      OIDC_ALGORITHMS: 'RS256,ES256',
    });
    try {
      const at =
        (key: SigningKey, over: { alg?: Alg; claims?: Record<string, unknown> } = {}) =>
        () =>
          token(key, { ...over, header: { typ: 'at+jwt' } });
      const { seen, expected } = await compare(
        [
          ['RS256 at+jwt, azp orthanc', at(rsa256), 'accepted'],
          ['ES256 at+jwt', at(ec256), 'accepted'],
          ['typ JWT', () => token(rsa256), 'refused'],
          ['RS384 (not listed)', at(rsaAny, { alg: 'RS384' }), 'refused'],
          ['ES384 (not listed)', at(ec384), 'refused'],
          ['EdDSA (not listed)', at(ed), 'refused'],
          [
            'any aud (not checked with authorized parties alone)',
            at(rsa256, { claims: { aud: 'whatever' } }),
            'accepted',
          ],
          ['client_id orthanc, no azp', at(rsa256, { claims: { azp: undefined, client_id: 'orthanc' } }), 'accepted'],
          ['azp of another client', at(rsa256, { claims: { azp: 'other' } }), 'refused'],
          ['azp orthanc, client_id another', at(rsa256, { claims: { client_id: 'other' } }), 'refused'],
          ['neither azp nor client_id', at(rsa256, { claims: { azp: undefined } }), 'refused'],
          [
            'expired 2 s ago (no tolerance)',
            () => token(rsa256, { header: { typ: 'at+jwt' }, claims: { exp: now() - 2 } }),
            'refused',
          ],
          ['nbf in 2 min', at(rsa256, { claims: { nbf: now() + 120 } }), 'refused'],
        ],
        strict,
      );
      expect(seen).toEqual(expected);
    } finally {
      await strict.close();
    }
  });

  it('the provider never reached: 503 on both, for a token that needs its keys', async () => {
    const port = await closedPort();
    const down = await startApp({
      ENABLE_OIDC: 'true',
      OIDC_ISSUER_URL: `http://127.0.0.1:${port}/realms/orthanc/`,
      OIDC_TIMEOUT: '1000',
    });
    try {
      const { seen, expected } = await compare(
        [
          ['a well-formed token', () => token(rsa256), 'unavailable'],
          ['not a JWT (refused before any I/O)', () => 'not-a-jwt', 'refused'],
          ['an HS256 token (refused before any I/O)', () => hs({ alg: 'HS256' }, claims(), 'x'), 'refused'],
        ],
        down,
      );
      expect(seen).toEqual(expected);
    } finally {
      await down.close();
    }
  });

  it('the provider unreachable: a cached key still verifies on both, an unknown kid is a 503 on both', async () => {
    await idp.close();
    const { seen, expected } = await compare([
      ['a cached key', () => token(ec256), 'accepted'],
      ['an unknown kid', () => token(foreign, { header: { kid: 'new-key' } }), 'unavailable'],
    ]);
    expect(seen).toEqual(expected);
  });
});

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A loopback port nothing listens on (one just freed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function hs(header: Record<string, unknown>, claims: unknown, secret: string): string {
  const input = `${seg(header)}.${seg(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
