import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, JsonResponse, RunningApp, startApp } from '../support/app';
import { startOidcProvider, TestOidcProvider } from '../support/oidc-provider';

// JWT attacks on both token kinds. Keycloak access tokens (real OpenID provider) on POST /user/get-profile and on the
// bearer routes (PUT /settings/roles, PUT /tokens/{type}, GET /shares); share tokens on POST /tokens/validate and
// /tokens/decode. Every forged token carries an admin's claims, so that a single acceptance would show. Headers that
// point to keys elsewhere (jku, x5u, a URL kid) point to a server of ours that records every request it receives:
// none may arrive. Replays after a key rotation (realm key removed, share secret retired) are refused.
//
// Already covered elsewhere and not repeated here: alg none, HS256 with the realm public key, unknown kid, a foreign
// key claiming the realm kid, wrong issuer/audience, expired, typ ID and a tampered payload on get-profile
// (test/keycloak-profiles.e2e-spec.ts), the share-token codec's tampering vectors (libs/tokens codec spec).

const SECRET = 'test-secret-key-for-the-e2e-suites-only';
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function rs(header: Record<string, unknown>, claims: unknown, key: KeyObject, alg = 'sha256'): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(alg, Buffer.from(input), key).toString('base64url')}`;
}
function hs(header: Record<string, unknown>, claims: unknown, key: string | Buffer, alg = 'sha256'): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac(alg, key).update(input).digest('base64url')}`;
}

/** A server that must never be called: it records every request (the service must not follow jku/x5u/kid URLs). */
class Trap {
  readonly hits: string[] = [];
  private server?: Server;
  url = '';
  async start(jwks: unknown): Promise<this> {
    this.server = createServer((req: IncomingMessage, res) => {
      this.hits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

describe('JWT attacks', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  let trap: Trap;
  let realmKey: KeyObject;
  let realmPem: string;
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreignJwk = { ...foreign.publicKey.export({ format: 'jwk' }), kid: 'attacker-key', alg: 'RS256', use: 'sig' };
  let tried = 0;

  const adminClaims = (over: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    aud: 'account',
    sub: 'u-admin',
    iat: now() - 1,
    exp: now() + 300,
    typ: 'Bearer',
    azp: 'orthanc',
    preferred_username: 'root',
    realm_access: { roles: ['admin-role'] },
    ...over,
  });
  const header = (over: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'JWT', kid: idp.currentKid, ...over });

  beforeAll(async () => {
    idp = await startOidcProvider();
    const jwk = (idp as unknown as { keys: Array<Record<string, unknown>> }).keys[0];
    realmKey = createPrivateKey({ key: jwk, format: 'jwk' });
    realmPem = createPublicKey(realmKey).export({ format: 'pem', type: 'spki' }).toString();
    trap = await new Trap().start({ keys: [foreignJwk] });
    svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_JWKS_COOLDOWN: '0',
      PUBLIC_ORTHANC_ROOT: 'http://pacs.example/',
    });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
    await trap?.close();
    process.stdout.write(`[hostile] JWT attacks: ${tried} attack requests tried\n`);
  });

  /** The Keycloak-token targets: all must refuse the token; none may answer 5xx or grant anything. */
  async function refusedEverywhere(name: string, token: string): Promise<void> {
    const label = (route: string, res: JsonResponse) => `${name} on ${route}: ${res.status} ${res.text.slice(0, 200)}`;
    const sane = (route: string, res: JsonResponse) => {
      tried++;
      if (res.status >= 500 || !/^application\/json/.test(res.headers.get('content-type') ?? ''))
        throw new Error(label(route, res));
    };
    for (const body of [
      { 'token-key': 'token', 'token-value': token },
      { 'token-key': 'Authorization', 'token-value': `Bearer ${token}` },
    ]) {
      const res = await call(svc.url, 'POST', '/user/get-profile', body);
      sane('get-profile', res);
      if (res.status === 200 && res.body?.['user-id'] !== null)
        throw new Error(`ACCEPTED: ${label('get-profile', res)}`);
      if (res.status !== 200 && res.status !== 400) throw new Error(label('get-profile', res));
    }
    const bearer = { auth: `Bearer ${token}` };
    const routes: Array<[string, string, unknown]> = [
      ['PUT', '/settings/roles', { roles: { pwned: { permissions: ['all'] } }, 'available-labels': [] }],
      [
        'PUT',
        '/tokens/stone-viewer-publication',
        { id: null, type: 'stone-viewer-publication', resources: [{ 'dicom-uid': '1.2', level: 'study' }] },
      ],
      ['GET', '/shares', undefined],
      ['GET', '/settings/roles', undefined],
    ];
    for (const [method, path, body] of routes) {
      let res: JsonResponse;
      try {
        res = await call(svc.url, method, path, body, bearer);
      } catch (err) {
        // A header too big for the HTTP parser: the client may see the connection closed. Still not a grant.
        if (token.length > 16_000) {
          tried++;
          continue;
        }
        throw err;
      }
      sane(path, res);
      if (res.status !== 401 && res.status !== 431 && res.status !== 400)
        throw new Error(`NOT REFUSED: ${label(`${method} ${path}`, res)}`);
    }
  }

  it('the control: a genuine admin token signed by hand is accepted everywhere (the attacks below are meaningful)', async () => {
    const token = rs(header(), adminClaims(), realmKey);
    const res = await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': token });
    expect(res.body['user-id']).toBe('u-admin');
    expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${token}` })).status).toBe(200);
    expect((await call(svc.url, 'GET', '/shares', undefined, { auth: `Bearer ${token}` })).status).toBe(200);
  });

  it('algorithm attacks: none in every spelling, HS*/RS key confusion with the realm public key', async () => {
    const c = adminClaims();
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await refusedEverywhere(`alg ${alg}`, `${b64(header({ alg }))}.${b64(c)}.`);
      await refusedEverywhere(
        `alg ${alg} with a signature`,
        `${b64(header({ alg }))}.${b64(c)}.${rs(header(), c, realmKey).split('.')[2]}`,
      );
    }
    for (const [alg, h] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ]) {
      await refusedEverywhere(`${alg} keyed with the realm public key PEM`, hs(header({ alg }), c, realmPem, h));
      await refusedEverywhere(
        `${alg} keyed with the realm JWK`,
        hs(header({ alg }), c, JSON.stringify(idp.publicJwk()), h),
      );
      await refusedEverywhere(`${alg} keyed with an empty key`, hs(header({ alg }), c, '', h));
    }
    await refusedEverywhere(
      'RS256 header, PS256 signature',
      rs(header({ alg: 'PS256' }), c, realmKey).replace(/^[^.]+/, b64(header())),
    );
    await refusedEverywhere('alg missing', rs({ typ: 'JWT', kid: idp.currentKid }, c, realmKey));
    await refusedEverywhere('crit extension', rs(header({ crit: ['exp'], exp: 1 }), c, realmKey));
  });

  it('kid injection: paths, SQL, commands, URLs, huge and wrong types; never followed', async () => {
    const c = adminClaims();
    const kids = [
      '../../../../../../dev/null',
      '/etc/passwd',
      "' OR '1'='1",
      "x' UNION SELECT 'secret' --",
      '$(touch /tmp/pwned)',
      '|id',
      `${trap.url}/kid.json`,
      'k'.repeat(10_000),
      '\u0000',
      '\ud800',
      42,
      null,
      ['a'],
      { $ne: null },
    ];
    for (const kid of kids) {
      await refusedEverywhere(
        `kid ${JSON.stringify(kid).slice(0, 40)} (attacker key)`,
        rs(header({ kid }), c, foreign.privateKey),
      );
      await refusedEverywhere(
        `kid ${JSON.stringify(kid).slice(0, 40)} (HS256, empty key)`,
        hs(header({ alg: 'HS256', kid }), c, ''),
      );
    }
    expect(trap.hits).toEqual([]);
  });

  it('jku, x5u, jwk and x5c headers are never followed nor trusted', async () => {
    const c = adminClaims();
    const forged = [
      ['jku', rs(header({ kid: 'attacker-key', jku: `${trap.url}/jwks.json` }), c, foreign.privateKey)],
      ['jku with the realm kid', rs(header({ jku: `${trap.url}/jwks.json` }), c, foreign.privateKey)],
      ['x5u', rs(header({ kid: 'attacker-key', x5u: `${trap.url}/cert.pem` }), c, foreign.privateKey)],
      ['embedded jwk', rs(header({ kid: 'attacker-key', jwk: foreignJwk }), c, foreign.privateKey)],
      ['embedded jwk, realm kid', rs(header({ jwk: { ...foreignJwk, kid: idp.currentKid } }), c, foreign.privateKey)],
      [
        'x5c garbage',
        rs(
          header({ kid: 'attacker-key', x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }),
          c,
          foreign.privateKey,
        ),
      ],
    ] as const;
    for (const [name, token] of forged) await refusedEverywhere(name, token);
    expect(trap.hits).toEqual([]);
  });

  it('wrong typ claims, truncated and padded segments, huge headers', async () => {
    const c = adminClaims();
    for (const typ of ['Refresh', 'ID', 'Logout', 'Offline', 'bearer ', ''])
      await refusedEverywhere(`typ ${typ}`, rs(header(), { ...c, typ }, realmKey));
    const good = rs(header(), c, realmKey);
    const [h, p, s] = good.split('.');
    const variants: Array<[string, string]> = [
      ['signature cut', `${h}.${p}.${s.slice(0, -4)}`],
      ['signature empty', `${h}.${p}.`],
      ['two segments', `${h}.${p}`],
      ['four segments', `${good}.${s}`],
      ['padded signature', `${good}==`],
      ['padded payload', `${h}.${p}=.${s}`],
      ['standard base64', `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`],
      ['space inside', `${h}.${p} .${s}`],
      ['header cut', `${h.slice(0, -2)}.${p}.${s}`],
      ['payload of another token', `${h}.${b64({ ...c, sub: 'u-other' })}.${s}`],
      ['huge header (12 kB)', rs(header({ pad: 'x'.repeat(12_000) }), c, foreign.privateKey)],
      ['huge header (70 kB)', rs(header({ pad: 'x'.repeat(70_000) }), c, foreign.privateKey)],
      ['huge payload (60 kB)', rs(header(), { ...c, pad: 'x'.repeat(60_000) }, foreign.privateKey)],
    ];
    for (const [name, token] of variants) await refusedEverywhere(name, token);
  });

  it('time and audience: expired, nbf in the future, no exp, other issuer or audience, no subject', async () => {
    const c = adminClaims();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['expired 2 min ago', { ...c, exp: now() - 120 }],
      ['nbf in one hour', { ...c, nbf: now() + 3600 }],
      ['nbf in 2 min', { ...c, nbf: now() + 120 }],
      ['no exp', { ...c, exp: undefined }],
      ['exp as a string', { ...c, exp: String(now() + 300) }],
      ['other issuer', { ...c, iss: 'http://evil.example/realms/orthanc' }],
      ['issuer with a trailing slash', { ...c, iss: `${idp.issuer}/` }],
      ['other audience', { ...c, aud: 'orthanc' }],
      ['audience list without account', { ...c, aud: ['orthanc', 'admin-cli'] }],
      ['no subject', { ...c, sub: undefined }],
    ];
    for (const [name, claims] of cases) await refusedEverywhere(name, rs(header(), claims, realmKey));
  });

  it('replay after a realm key rotation that removed the old key: refused on every route once the new key is in use', async () => {
    const old = rs(header(), adminClaims(), realmKey);
    expect(
      (await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': old })).body['user-id'],
    ).toBe('u-admin');
    await idp.rotateKey({ keepOld: false });
    // The realm signs with the new key from now on; its first token makes the service refetch the key set.
    const fresh = await idp.mint({ sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] });
    expect(
      (await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': fresh })).body[
        'user-id'
      ],
    ).toBe('u-doctor');
    await refusedEverywhere('token of the removed key', old);
    await refusedEverywhere(
      'token of the removed key (fresh claims)',
      rs(header(), adminClaims({ jti: 'again' }), realmKey),
    );
  });

  it('a removed key whose successor was already published (no unknown kid to force a refetch): refused once the key set is older than KEYCLOAK_JWKS_MAX_AGE', async () => {
    const realm = await startOidcProvider();
    const short = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: realm.realmUri,
      KEYCLOAK_JWKS_MAX_AGE: '1',
      KEYCLOAK_JWKS_COOLDOWN: '0',
    });
    const keys = realm as unknown as { keys: unknown[]; provider: unknown; build(): unknown };
    const user = { sub: 'u-admin', preferred_username: 'root', roles: ['admin-role'] };
    const profileOf = async (t: string) =>
      (await call(short.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': t })).body['user-id'];
    try {
      const old = await realm.mint(user);
      await realm.rotateKey({ keepOld: true }); // Keycloak: a new active key, the old one still published
      expect(await profileOf(await realm.mint(user))).toBe('u-admin'); // the service now caches both keys
      keys.keys = [keys.keys[0]]; // the realm drops the old key
      keys.provider = keys.build();
      expect(await profileOf(await realm.mint(user))).toBe('u-admin');
      await new Promise((r) => setTimeout(r, 1100)); // past the key set's freshness (not a timing assertion)
      expect(await profileOf(old)).toBeNull();
      expect(await profileOf(await realm.mint(user))).toBe('u-admin');
      tried += 4;
    } finally {
      await short.close();
      await realm.close();
    }
  });

  it('the roles configuration never changed during the attacks', async () => {
    expect(readFileSync(join(svc.dataDir, 'permissions.json'), 'utf8')).not.toContain('pwned');
    expect(Object.keys((await call(svc.url, 'GET', '/settings/roles')).body.roles)).not.toContain('pwned');
    expect(trap.hits).toEqual([]);
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('share tokens on validate and decode', () => {
    const resources = [{ dicom_uid: '1.2.3', orthanc_id: 'o-1', url: null, level: 'study' }];
    const payload = (over: Record<string, unknown> = {}) => ({
      id: null,
      resources,
      type: 'stone-viewer-publication',
      expiration_date: null,
      validity_duration: null,
      ...over,
    });
    const jwtHeader = (over: Record<string, unknown> = {}) => ({ alg: 'HS256', typ: 'JWT', ...over });

    async function refusedShare(name: string, token: string, expectedError = 'invalid'): Promise<void> {
      const v = await call(svc.url, 'POST', '/tokens/validate', {
        'dicom-uid': '1.2.3',
        'orthanc-id': 'o-1',
        level: 'study',
        method: 'get',
        'token-key': 'token',
        'token-value': token,
      });
      const d = await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token });
      tried += 2;
      for (const res of [v, d])
        if (res.status >= 500 || !/^application\/json/.test(res.headers.get('content-type') ?? ''))
          throw new Error(`${name}: ${res.status} ${res.text}`);
      if (!(v.status === 400 || (v.status === 200 && v.body.granted === false)))
        throw new Error(`GRANTED: ${name}: ${v.text}`);
      if (!(
        d.status === 400 ||
        (d.status === 200 && d.body['error-code'] === expectedError && d.body.resources.length === 0)
      ))
        throw new Error(`DECODED: ${name}: ${d.text}`);
    }

    it('the control: the same payload signed with the secret is granted', async () => {
      const v = await call(svc.url, 'POST', '/tokens/validate', {
        'dicom-uid': '1.2.3',
        level: 'study',
        method: 'get',
        'token-value': hs(jwtHeader(), payload(), SECRET),
      });
      expect(v.body.granted).toBe(true);
    });

    it('algorithm, key and header attacks', async () => {
      const p = payload();
      const genuineSig = hs(jwtHeader(), p, SECRET).split('.')[2];
      const attacks: Array<[string, string]> = [
        ...['none', 'None', 'NONE'].map((alg): [string, string] => [
          `alg ${alg}`,
          `${b64({ alg, typ: 'JWT' })}.${b64(p)}.`,
        ]),
        ['alg none + genuine signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(p)}.${genuineSig}`],
        ['wrong secret', hs(jwtHeader(), p, 'guessed-secret')],
        ['empty secret', hs(jwtHeader(), p, '')],
        ['HS512 with the secret', hs(jwtHeader({ alg: 'HS512' }), p, SECRET, 'sha512')],
        ['HS384 with the secret', hs(jwtHeader({ alg: 'HS384' }), p, SECRET, 'sha384')],
        ['RS256 with an attacker key', rs(jwtHeader({ alg: 'RS256' }), p, foreign.privateKey)],
        [
          'jku to our trap',
          rs(jwtHeader({ alg: 'RS256', jku: `${trap.url}/jwks.json`, kid: 'attacker-key' }), p, foreign.privateKey),
        ],
        ['embedded jwk', rs(jwtHeader({ alg: 'RS256', jwk: foreignJwk }), p, foreign.privateKey)],
        ['kid path traversal, empty key', hs(jwtHeader({ kid: '../../../../dev/null' }), p, '')],
        ['kid SQL injection', hs(jwtHeader({ kid: "' UNION SELECT 'x' --" }), p, 'x')],
        ['wrong typ (signed with the secret)', hs(jwtHeader({ typ: 'at+jwt' }), p, SECRET)],
        ['crit header (signed with the secret)', hs(jwtHeader({ crit: ['x'], x: 1 }), p, SECRET)],
        ['truncated', hs(jwtHeader(), p, SECRET).slice(0, -1)],
        ['padded', `${hs(jwtHeader(), p, SECRET)}=`],
        [
          'standard base64 signature',
          hs(jwtHeader(), p, SECRET).replace(/-/g, '+').replace(/_/g, '/') +
            (genuineSig.includes('-') || genuineSig.includes('_') ? '' : '+'),
        ],
        ['huge header', hs(jwtHeader({ pad: 'x'.repeat(60_000) }), p, 'guessed')],
        ['over 64 kB (signed with the secret)', hs(jwtHeader({ pad: 'x'.repeat(70_000) }), p, SECRET)],
        [
          'tampered resources',
          `${b64(jwtHeader())}.${b64(
            payload({
              resources: [
                { ...resources[0], dicom_uid: '1.2.3' },
                { dicom_uid: '9', orthanc_id: '9', url: null, level: 'study' },
              ],
            }),
          )}.${genuineSig}`,
        ],
      ];
      for (const [name, token] of attacks) await refusedShare(name, token);
      expect(trap.hits).toEqual([]);
    });

    it('expired tokens, and tokens whose resources or dates are malformed even though genuinely signed', async () => {
      await refusedShare(
        'expired',
        hs(jwtHeader(), payload({ expiration_date: '2001-01-01T00:00:00+00:00' }), SECRET),
        'expired',
      );
      await refusedShare('date not ISO', hs(jwtHeader(), payload({ expiration_date: 'never' }), SECRET));
      await refusedShare(
        'system-level resource',
        hs(jwtHeader(), payload({ resources: [{ ...resources[0], level: 'root' }] }), SECRET),
      );
      await refusedShare(
        'resources not an array',
        hs(jwtHeader(), payload({ resources: { 0: resources[0] } }), SECRET),
      );
    });

    it('replay after the secret is rotated without keeping the old one: refused', async () => {
      const rotated = await startApp({
        SECRET_KEY: 'a-brand-new-secret-key-after-rotation',
        PREVIOUS_SECRET_KEYS: 'some-other-old-key',
        PUBLIC_ORTHANC_ROOT: 'http://pacs.example/',
      });
      try {
        const token = hs(jwtHeader(), payload(), SECRET);
        const v = await call(rotated.url, 'POST', '/tokens/validate', {
          'dicom-uid': '1.2.3',
          level: 'study',
          method: 'get',
          'token-value': token,
        });
        const d = await call(rotated.url, 'POST', '/tokens/decode', { 'token-value': token });
        tried += 2;
        expect(v.body).toEqual({ granted: false, validity: 60 });
        expect(d.body['error-code']).toBe('invalid');
      } finally {
        await rotated.close();
      }
    });
  });
});
