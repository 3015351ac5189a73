import { AccessTokenRules, checkAccessTokenClaims } from './access-token-claims';

const NOW = 1_800_000_000;
const ISS = 'https://sso.example.org/realms/orthanc';

const rules = (over: Partial<AccessTokenRules> = {}): AccessTokenRules => ({
  issuer: ISS,
  audiences: ['account'],
  authorizedParties: null,
  requireAtJwt: false,
  clockToleranceSeconds: 30,
  userIdClaim: ['sub'],
  ...over,
});
const keycloakAccess = (over: Record<string, unknown> = {}) => ({
  iss: ISS,
  sub: 'u-1',
  aud: 'account',
  azp: 'orthanc',
  typ: 'Bearer',
  exp: NOW + 300,
  iat: NOW - 1,
  ...over,
});
const JWT = { alg: 'RS256', typ: 'JWT' };
const AT_JWT = { alg: 'RS256', typ: 'at+jwt' };
const check = (payload: Record<string, unknown>, header: Record<string, unknown> = JWT, r = rules()) =>
  checkAccessTokenClaims(header, payload, r, NOW);

describe('checkAccessTokenClaims', () => {
  it("accepts Keycloak's access tokens, with or without a header typ, and an RFC 9068 one", () => {
    expect(check(keycloakAccess())).toBeNull();
    expect(check(keycloakAccess(), { alg: 'RS256' })).toBeNull();
    expect(check(keycloakAccess({ typ: 'bearer' }))).toBeNull();
    expect(check(keycloakAccess({ typ: undefined }), { alg: 'RS256', typ: 'application/at+jwt' })).toBeNull();
  });

  it('refuses ID tokens: at_hash, c_hash, s_hash, and a nonce on a token not typed as an access token', () => {
    const idToken = { iss: ISS, sub: 'u-1', aud: 'account', azp: 'orthanc', exp: NOW + 300, iat: NOW };
    expect(check(idToken)).toBeNull(); // the control: without its ID-token claims it would pass
    expect(check({ ...idToken, at_hash: 'x' })).toEqual({ claim: 'at_hash', reason: 'is an ID token claim' });
    expect(check({ ...idToken, c_hash: 'x' })?.claim).toBe('c_hash');
    expect(check({ ...idToken, s_hash: 'x' })?.claim).toBe('s_hash');
    expect(check({ ...idToken, nonce: 'n' })?.claim).toBe('nonce');
    expect(check({ ...idToken, nonce: 'n', at_hash: 'x' }, AT_JWT)?.claim).toBe('at_hash');
    // Keycloak before 25 copies the login's nonce into its access tokens, which it types Bearer: still access tokens.
    expect(check(keycloakAccess({ nonce: 'n' }))).toBeNull();
    expect(check({ ...idToken, nonce: 'n' }, AT_JWT)).toBeNull();
    // Keycloak's own ID, refresh and logout tokens.
    for (const typ of ['ID', 'Refresh', 'Logout', 'Offline', '', 'bearer ', 42]) {
      expect(check(keycloakAccess({ typ }))?.claim).toBe('typ');
    }
  });

  it('refuses a header typ that is not a JWT access token, and without at+jwt when the provider types its tokens', () => {
    for (const typ of ['logout+jwt', 'secevent+jwt', 'dpop+jwt', 'JOSE', 7]) {
      expect(check(keycloakAccess(), { alg: 'RS256', typ })?.claim).toBe('typ (header)');
    }
    const typed = rules({ requireAtJwt: true });
    expect(check(keycloakAccess(), AT_JWT, typed)).toBeNull();
    expect(check(keycloakAccess(), JWT, typed)?.claim).toBe('typ (header)');
    expect(check(keycloakAccess(), { alg: 'RS256' }, typed)?.claim).toBe('typ (header)');
  });

  it('checks the issuer exactly and the time window with the clock tolerance', () => {
    expect(check(keycloakAccess({ iss: `${ISS}/` }))?.claim).toBe('iss');
    expect(check(keycloakAccess({ iss: undefined }))?.claim).toBe('iss');
    expect(check(keycloakAccess({ exp: NOW - 29 }))).toBeNull();
    expect(check(keycloakAccess({ exp: NOW - 30 }))).toEqual({ claim: 'exp', reason: 'is past' });
    expect(check(keycloakAccess({ exp: undefined }))?.claim).toBe('exp');
    expect(check(keycloakAccess({ exp: String(NOW + 60) }))?.claim).toBe('exp');
    expect(check(keycloakAccess({ nbf: NOW + 30 }))).toBeNull();
    expect(check(keycloakAccess({ nbf: NOW + 31 }))?.claim).toBe('nbf');
    expect(check(keycloakAccess({ nbf: 'soon' }))?.claim).toBe('nbf');
  });

  it('audience: one of the list in aud (string or array); not checked when null', () => {
    const list = rules({ audiences: ['account', 'orthanc'] });
    expect(check(keycloakAccess({ aud: 'orthanc' }), JWT, list)).toBeNull();
    expect(check(keycloakAccess({ aud: ['x', 'orthanc'] }), JWT, list)).toBeNull();
    expect(check(keycloakAccess({ aud: ['x', 'y'] }), JWT, list)?.claim).toBe('aud');
    expect(check(keycloakAccess({ aud: undefined }), JWT, list)?.claim).toBe('aud');
    expect(check(keycloakAccess({ aud: 'openid orthanc' }), JWT, list)?.claim).toBe('aud');
    expect(check(keycloakAccess({ aud: 'anything' }), JWT, rules({ audiences: null }))).toBeNull();
  });

  it('authorized party: azp and client_id, those present all listed, at least one present', () => {
    const parties = rules({ audiences: null, authorizedParties: ['orthanc-auth'] });
    expect(check(keycloakAccess({ azp: 'orthanc-auth' }), JWT, parties)).toBeNull();
    expect(check(keycloakAccess({ azp: undefined, client_id: 'orthanc-auth' }), JWT, parties)).toBeNull();
    expect(check(keycloakAccess({ azp: 'other' }), JWT, parties)?.claim).toBe('azp/client_id');
    expect(check(keycloakAccess({ azp: 'orthanc-auth', client_id: 'other' }), JWT, parties)?.claim).toBe(
      'azp/client_id',
    );
    expect(check(keycloakAccess({ azp: undefined }), JWT, parties)).toEqual({
      claim: 'azp/client_id',
      reason: 'is missing',
    });
    expect(check(keycloakAccess({ azp: ['orthanc-auth'] }), JWT, parties)?.claim).toBe('azp/client_id');
  });

  it("applies jose's own rules too, which jsonwebtoken (the bearer routes' passport-jwt) does not", () => {
    // Claims that are not a JSON object.
    for (const claims of [null, [keycloakAccess()], 'claims', 42]) {
      expect(check(claims as unknown as Record<string, unknown>)).toEqual({
        claim: 'claims',
        reason: 'are not a JSON object',
      });
    }
    // Any crit extension: jose refuses all but b64, which a JWT may not turn off; no access token uses one.
    for (const crit of [['exp'], ['b64'], [], 'b64']) {
      expect(check(keycloakAccess(), { ...JWT, crit, b64: true, exp: 1 })?.claim).toBe('crit (header)');
    }
    // iat, when present, a number (jose: '"iat" claim must be a number'); in the future is no reason to refuse.
    expect(check(keycloakAccess({ iat: String(NOW) }))).toEqual({ claim: 'iat', reason: 'is not a number' });
    expect(check(keycloakAccess({ iat: null }))?.claim).toBe('iat');
    expect(check(keycloakAccess({ iat: undefined }))).toBeNull();
    expect(check(keycloakAccess({ iat: NOW + 3600 }))).toBeNull();
  });

  it('names a user by the configured claim', () => {
    expect(check(keycloakAccess({ sub: undefined }))?.claim).toBe('sub');
    expect(check(keycloakAccess({ sub: '' }))?.claim).toBe('sub');
    expect(check(keycloakAccess({ oid: 'u-9' }), JWT, rules({ userIdClaim: ['oid'] }))).toBeNull();
    expect(check(keycloakAccess(), JWT, rules({ userIdClaim: ['oid'] }))?.claim).toBe('oid');
  });

  describe('an introspection answer (no header)', () => {
    const answer = (over: Record<string, unknown> = {}) => ({
      active: true,
      iss: ISS,
      sub: 'u-1',
      aud: 'account',
      client_id: 'orthanc',
      token_type: 'Bearer',
      exp: NOW + 300,
      ...over,
    });
    const introspected = (payload: Record<string, unknown>, r = rules()) =>
      checkAccessTokenClaims(null, payload, r, NOW);

    it('is held to the rules of a JWT: issuer, expiry, audience, authorized party, user', () => {
      expect(introspected(answer())).toBeNull();
      expect(introspected(answer({ iss: 'https://evil.example/' }))?.claim).toBe('iss');
      expect(introspected(answer({ exp: NOW - 120 }))?.claim).toBe('exp');
      expect(introspected(answer({ aud: 'other' }))?.claim).toBe('aud');
      expect(introspected(answer(), rules({ audiences: null, authorizedParties: ['oe2'] }))?.claim).toBe(
        'azp/client_id',
      );
      expect(introspected(answer({ sub: undefined }))?.claim).toBe('sub');
      expect(introspected(answer({ at_hash: 'x' }))?.claim).toBe('at_hash');
    });

    it('must be a bearer access token: a refresh token (no token_type, or another) is refused', () => {
      expect(introspected(answer({ token_type: 'access_token' }))).toBeNull();
      expect(introspected(answer({ token_type: undefined, typ: 'Bearer' }))).toBeNull();
      expect(introspected(answer({ token_type: undefined }))?.claim).toBe('token_type');
      expect(introspected(answer({ token_type: 'refresh_token' }))?.claim).toBe('token_type');
      expect(introspected(answer({ token_type: 'DPoP' }))?.claim).toBe('token_type');
      expect(introspected(answer({ token_type: undefined, typ: 'Refresh' }))?.claim).toBe('token_type');
    });

    it('may leave iss and exp out (RFC 7662), never give another issuer', () => {
      expect(introspected(answer({ iss: undefined, exp: undefined }))).toBeNull();
      expect(introspected(answer({ exp: 'soon' }))?.claim).toBe('exp');
    });
  });
});
