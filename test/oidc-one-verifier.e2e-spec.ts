import { constants, createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { AccessTokenVerifier } from '@app/keycloak';
import { OidcJwtStrategy } from '../apps/auth-service/src/auth/oidc-jwt.strategy';
import { ProfileService } from '../apps/auth-service/src/profiles/profile.service';
import { call, RunningApp, startApp } from './support/app';
import { startOidcProvider, TestOidcProvider } from './support/oidc-provider';
import { ANONYMOUS } from './support/profiles';

// One verification path (issue 25 item 5): POST /user/get-profile and the bearer routes (passport-jwt's strategy)
// verify with the one AccessTokenVerifier, so they cannot disagree on what a valid token is; this suite checks that
// they do use it (once per request, each token decoded once), and what it accepts of each algorithm a provider may
// sign with, through both. The claim rules are unit-tested (access-token-claims.spec.ts); the attacks (alg none,
// key confusion, kid injection, jku/x5u, malformed segments, key rotation) are test/hostile/jwt-attacks.e2e-spec.ts.

type Outcome = 'accepted' | 'refused' | 'unavailable' | `status ${number}`;
const now = () => Math.floor(Date.now() / 1000);
const seg = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

interface SigningKey {
  kid: string;
  key: KeyObject;
  jwk: JWK;
}

function signingKey(kid: string, type: 'rsa' | 'ec' | 'ed25519', opts: object, alg: string): SigningKey {
  const { privateKey } = generateKeyPairSync(type as 'rsa', opts as { modulusLength: number });
  return { kid, key: privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg } };
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

describe('get-profile and the bearer routes verify with one verifier', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const rsa = signingKey('rsa', 'rsa', { modulusLength: 2048 }, 'RS256');
  const pss = signingKey('pss', 'rsa', { modulusLength: 2048 }, 'PS256');
  const ec256 = signingKey('ec-256', 'ec', { namedCurve: 'P-256' }, 'ES256');
  const ec384 = signingKey('ec-384', 'ec', { namedCurve: 'P-384' }, 'ES384');
  const ec521 = signingKey('ec-521', 'ec', { namedCurve: 'P-521' }, 'ES512');
  const ed = signingKey('ed-25519', 'ed25519', {}, 'EdDSA');
  const weak = signingKey('rsa-1024', 'rsa', { modulusLength: 1024 }, 'RS256');

  const claims = () => ({
    iss: idp.issuer,
    aud: 'account',
    sub: 'u-admin',
    typ: 'Bearer',
    iat: now() - 1,
    exp: now() + 300,
    preferred_username: 'root',
    realm_access: { roles: ['admin-role'] },
  });
  const token = (k: SigningKey, alg = k.jwk.alg as string) => {
    const input = `${seg({ alg, typ: 'JWT', kid: k.kid })}.${seg(claims())}`;
    return `${input}.${signature(alg, k.key, input).toString('base64url')}`;
  };

  async function viaProfile(t: string): Promise<Outcome> {
    const res = await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': t });
    if (res.status === 503) return 'unavailable';
    if (res.status !== 200) return `status ${res.status}`;
    return JSON.stringify(res.body) === JSON.stringify(ANONYMOUS) ? 'refused' : 'accepted';
  }
  async function viaBearer(t: string): Promise<Outcome> {
    const res = await call(svc.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${t}` });
    if (res.status === 503) return 'unavailable';
    if (res.status === 401) return 'refused';
    return res.status === 200 ? 'accepted' : `status ${res.status}`;
  }

  beforeAll(async () => {
    idp = await startOidcProvider();
    idp.publishKeys([rsa, pss, ec256, ec384, ec521, ed, weak].map((k) => k.jwk));
    svc = await startApp({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: idp.realmUri, OIDC_JWKS_COOLDOWN: '0' });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('both entry points hold the one AccessTokenVerifier, and a request verifies once', async () => {
    const verifier = svc.app.get(AccessTokenVerifier);
    expect(svc.app.get<unknown, { verifier: unknown }>(OidcJwtStrategy).verifier).toBe(verifier);
    expect(svc.app.get<unknown, { verifier: unknown }>(ProfileService).verifier).toBe(verifier);
    const verify = jest.spyOn(verifier, 'verify');
    try {
      expect(await viaProfile(token(rsa))).toBe('accepted');
      expect(verify).toHaveBeenCalledTimes(1);
      expect(await viaBearer(token(rsa))).toBe('accepted');
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      verify.mockRestore();
    }
  });

  it('decodes a token once: one JSON parse of its header, one of its claims', async () => {
    const verifier = svc.app.get(AccessTokenVerifier);
    const t = token(ec256);
    expect((await verifier.verify(t))?.userId).toBe('u-admin'); // the key set fetched
    const parse = jest.spyOn(JSON, 'parse');
    let parsed: string[];
    try {
      expect((await verifier.verify(t))?.userId).toBe('u-admin');
      parsed = parse.mock.calls.map(([text]) => text);
    } finally {
      parse.mockRestore();
    }
    expect(parsed.map((text) => Object.keys(JSON.parse(text) as object)[0])).toEqual(['alg', 'iss']);
  });

  it('accepts and refuses each algorithm alike on both (EdDSA too)', async () => {
    const cases: Array<[string, string, Outcome]> = [
      ['RS256', token(rsa), 'accepted'],
      ['RS512 on an RS256 key (the JWK says RS256)', token(rsa, 'RS512'), 'refused'],
      ['PS256', token(pss), 'accepted'],
      ['ES256', token(ec256), 'accepted'],
      ['ES384', token(ec384), 'accepted'],
      ['ES512', token(ec521), 'accepted'],
      ['EdDSA (Ed25519)', token(ed), 'accepted'],
      ['RS256 with a 1024-bit key (the provider misconfigured)', token(weak), 'unavailable'],
      ['HS256', hs256(claims()), 'refused'],
      ['alg none', `${seg({ alg: 'none', typ: 'JWT' })}.${seg(claims())}.`, 'refused'],
      ['an opaque token (no introspection configured)', 'an-opaque-access-token', 'refused'],
    ];
    const seen: string[] = [];
    for (const [name, t] of cases)
      seen.push(`${name}: get-profile ${await viaProfile(t)}, bearer ${await viaBearer(t)}`);
    expect(seen).toEqual(cases.map(([name, , outcome]) => `${name}: get-profile ${outcome}, bearer ${outcome}`));
  });
});

function hs256(claims: object): string {
  const input = `${seg({ alg: 'HS256', typ: 'JWT' })}.${seg(claims)}`;
  return `${input}.${createHmac('sha256', 'guessed').update(input).digest('base64url')}`;
}

describe('what the verifier says about the tokens it refuses and the roles it reads', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const profile = (t: string) => call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': t });
  const refusals = () => svc.logs.filter((l) => l.includes('access token refused'));

  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp(
      { ENABLE_OIDC: 'true', OIDC_ISSUER_URL: idp.realmUri, LOG_LEVEL: 'debug' },
      { captureLogs: true },
    );
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('every refused token gives exactly one debug line naming why, never the token', async () => {
    const good = await idp.mint({ sub: 'u-1', preferred_username: 'one', roles: ['doctor-role'] });
    const [h, p] = good.split('.');
    const cases: Array<[string, string, string]> = [
      ['an opaque token, no introspection', 'an-opaque-access-token-value', 'form is not a JWT: an opaque token'],
      ['alg none', `${seg({ alg: 'none', typ: 'JWT' })}.${p}.`, 'alg is none'],
      ['HS256', hs256({ sub: 'u-1' }), 'alg is HS256'],
      ['a JWE', 'aaaa.bbbb.cccc.dddd.eeee', 'form is an encrypted JWT (JWE)'],
      ['not a JWT at all', 'not a token!', 'form is not a JWT'],
      ['padded', `${good}==`, 'form is not a strict compact JWS'],
      ['tampered', `${h}.${seg({ sub: 'u-2' })}.${good.split('.')[2]}`, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
      ['expired', await idp.mint({ sub: 'u-1', preferred_username: 'one' }, { expiresIn: -600 }), 'ERR_JWT_EXPIRED'],
      ['another audience', await idp.mint({ sub: 'u-1', preferred_username: 'one' }, { audience: 'x' }), 'aud holds'],
    ];
    for (const [name, t, reason] of cases) {
      const before = refusals().length;
      expect((await profile(t)).body).toEqual(ANONYMOUS);
      const lines = refusals().slice(before);
      expect({ name, lines: lines.length, names: lines[0]?.includes(reason) }).toEqual({ name, lines: 1, names: true });
      expect(lines[0].includes(t)).toBe(false);
    }
  });

  it('says at debug which roles a token gave, and at info, once per user, that a token had no roles claim', async () => {
    const before = svc.logs.length;
    await profile(await idp.mint({ sub: 'u-doc', preferred_username: 'house', roles: ['doctor-role', 'viewer'] }));
    expect(
      svc.logs.slice(before).filter((l) => l.includes('roles [doctor-role, viewer] read from realm_access.roles')),
    ).toHaveLength(1);
    const noRoles = () => idp.mint({ sub: 'u-bare', preferred_username: 'bare', extra: { realm_access: undefined } });
    for (let i = 0; i < 3; i++) expect((await profile(await noRoles())).body.permissions).toEqual([]);
    const told = svc.logs.filter((l) => l.includes('carries no realm_access.roles claim'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('"level":"info"');
    expect(told[0]).toContain('u-bare');
  });
});
