import { announcedIssuerMatches, discoveryUrl, loadKeycloakConfig, oidcStartupLines } from './keycloak.config';
import { configError } from '../../../test/support/config-error';

const env = (vars: Record<string, string>) => ({ SECRETS_DIR: '/nonexistent-secrets', ...vars });

const configErrorOf = (vars: Record<string, string>) => configError(() => loadKeycloakConfig(env(vars)));

describe('loadKeycloakConfig', () => {
  it('is off by default, with the documented defaults', () => {
    const c = loadKeycloakConfig(env({}));
    expect(c.enabled).toBe(false);
    expect(c.apiKeys).toBe(false);
    expect(c.audiences).toEqual(['account']);
    expect(c.authorizedParties).toBeNull();
    expect(c.requireAtJwt).toBe(false);
    expect(c.claims).toEqual({
      userId: ['sub'],
      names: [['name'], ['preferred_username']],
      roles: ['realm_access', 'roles'],
      groups: ['groups'],
    });
    expect(c.algorithms).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
    ]);
    expect(c.clockToleranceSeconds).toBe(30);
    expect(c.timeoutMs).toBe(5000);
    expect(c.jwksCooldownMs).toBe(3000);
    expect(c.jwksMaxAgeMs).toBe(60000);
  });

  it('requires KEYCLOAK_URI when enabled, naming it', () => {
    expect(configErrorOf({ ENABLE_KEYCLOAK: 'true' }).variable).toBe('KEYCLOAK_URI');
    expect(configErrorOf({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: 'keycloak:8080' }).variable).toBe('KEYCLOAK_URI');
    expect(configErrorOf({ ENABLE_OIDC: 'true' }).variable).toBe('OIDC_ISSUER_URL');
  });

  it('keeps the realm URL as written (its trailing slash too) and derives the admin URL from it', () => {
    const c = loadKeycloakConfig(
      env({
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: 'http://keycloak:8080/realms/orthanc/',
        KEYCLOAK_CLIENT_SECRET: 's3cret',
      }),
    );
    expect(c.issuerUrl).toBe('http://keycloak:8080/realms/orthanc/');
    expect(c.provider).toBe('keycloak');
    expect(c.admin).toEqual({
      adminUri: 'http://keycloak:8080/admin/realms/orthanc/',
      clientId: 'admin-cli',
      clientSecret: 's3cret',
    });
  });

  it('takes KEYCLOAK_ADMIN_URI and KEYCLOAK_CLIENT_ID as given, adding the trailing slash', () => {
    const c = loadKeycloakConfig(
      env({
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: 'http://kc/realms/r',
        KEYCLOAK_CLIENT_SECRET: 's',
        KEYCLOAK_ADMIN_URI: 'http://kc-admin/admin/realms/r',
        KEYCLOAK_CLIENT_ID: 'orthanc-auth',
      }),
    );
    expect(c.admin).toEqual({
      adminUri: 'http://kc-admin/admin/realms/r/',
      clientId: 'orthanc-auth',
      clientSecret: 's',
    });
  });

  it('has no admin client without a secret, and api-keys then name KEYCLOAK_CLIENT_SECRET', () => {
    expect(
      loadKeycloakConfig(env({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: 'http://kc/realms/r' })).admin,
    ).toBeUndefined();
    expect(
      configErrorOf({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: 'http://kc/realms/r', ENABLE_KEYCLOAK_API_KEYS: 'true' })
        .variable,
    ).toBe('KEYCLOAK_CLIENT_SECRET');
  });

  it('refuses symmetric and none algorithms even when listed', () => {
    for (const alg of ['HS256', 'HS512', 'none', 'RS256,HS256']) {
      expect(configErrorOf({ KEYCLOAK_ALGORITHMS: alg }).variable).toBe('KEYCLOAK_ALGORITHMS');
    }
    expect(loadKeycloakConfig(env({ KEYCLOAK_ALGORITHMS: 'ES256, RS256' })).algorithms).toEqual(['ES256', 'RS256']);
  });

  it('reads a client-roles claim path and refuses prototype paths', () => {
    expect(loadKeycloakConfig(env({ KEYCLOAK_ROLES_CLAIM: 'resource_access.orthanc.roles' })).claims.roles).toEqual([
      'resource_access',
      'orthanc',
      'roles',
    ]);
    expect(configErrorOf({ KEYCLOAK_ROLES_CLAIM: 'a..b' }).variable).toBe('KEYCLOAK_ROLES_CLAIM');
    expect(configErrorOf({ KEYCLOAK_ROLES_CLAIM: '__proto__.x' }).variable).toBe('KEYCLOAK_ROLES_CLAIM');
  });

  it('bounds the numbers', () => {
    expect(configErrorOf({ KEYCLOAK_TIMEOUT: '0' }).variable).toBe('KEYCLOAK_TIMEOUT');
    expect(configErrorOf({ KEYCLOAK_CLOCK_TOLERANCE: '-1' }).variable).toBe('KEYCLOAK_CLOCK_TOLERANCE');
    expect(configErrorOf({ ENABLE_KEYCLOAK: 'maybe' }).variable).toBe('ENABLE_KEYCLOAK');
  });

  it('takes the provider-neutral names, and the older Keycloak names as aliases; both set differently is an error', () => {
    const generic = loadKeycloakConfig(
      env({
        ENABLE_OIDC: 'true',
        OIDC_ISSUER_URL: 'http://sso.example.org/api/oidc/',
        OIDC_AUDIENCE: 'orthanc, https://pacs.example.org/',
        OIDC_ROLES_CLAIM: 'roles',
        OIDC_GROUPS_CLAIM: 'org.teams',
        OIDC_NAME_CLAIMS: 'display_name,email',
        OIDC_USER_ID_CLAIM: 'oid',
        OIDC_CLOCK_TOLERANCE: '5',
        OIDC_TIMEOUT: '1500',
        OIDC_JWKS_COOLDOWN: '2',
        OIDC_JWKS_MAX_AGE: '30',
        OIDC_ALGORITHMS: 'ES256',
        OIDC_REQUIRE_AT_JWT: 'true',
      }),
    );
    expect(generic).toMatchObject({
      enabled: true,
      issuerUrl: 'http://sso.example.org/api/oidc/',
      audiences: ['orthanc', 'https://pacs.example.org/'],
      claims: { userId: ['oid'], names: [['display_name'], ['email']], roles: ['roles'], groups: ['org', 'teams'] },
      clockToleranceSeconds: 5,
      timeoutMs: 1500,
      jwksCooldownMs: 2000,
      jwksMaxAgeMs: 30000,
      algorithms: ['ES256'],
      requireAtJwt: true,
    });
    const same = { ENABLE_KEYCLOAK: 'true', ENABLE_OIDC: 'true', KEYCLOAK_URI: 'http://kc/realms/r' };
    expect(loadKeycloakConfig(env({ ...same, OIDC_ISSUER_URL: 'http://kc/realms/r' })).issuerUrl).toBe(
      'http://kc/realms/r',
    );
    const clash = configErrorOf({ ...same, OIDC_ISSUER_URL: 'http://other/realms/r' });
    expect(clash.variable).toBe('OIDC_ISSUER_URL');
    expect(clash.expectation).toContain('KEYCLOAK_URI');
    expect(configErrorOf({ KEYCLOAK_TIMEOUT: '5000', OIDC_TIMEOUT: '100' }).variable).toBe('OIDC_TIMEOUT');
    expect(configErrorOf({ OIDC_ROLES_CLAIM: 'a.__proto__' }).variable).toBe('OIDC_ROLES_CLAIM');
    expect(configErrorOf({ OIDC_NAME_CLAIMS: 'name,.x' }).variable).toBe('OIDC_NAME_CLAIMS');
    expect(configErrorOf({ OIDC_REQUIRE_AT_JWT: 'at+jwt' }).variable).toBe('OIDC_REQUIRE_AT_JWT');
  });

  it('audience: a list, azp/client_id instead (then no default audience), off only with "*"', () => {
    expect(loadKeycloakConfig(env({ OIDC_AUTHORIZED_PARTIES: 'orthanc-auth,oe2' }))).toMatchObject({
      audiences: null,
      authorizedParties: ['orthanc-auth', 'oe2'],
    });
    expect(
      loadKeycloakConfig(env({ OIDC_AUTHORIZED_PARTIES: 'orthanc-auth', KEYCLOAK_AUDIENCE: 'account' })),
    ).toMatchObject({ audiences: ['account'], authorizedParties: ['orthanc-auth'] });
    expect(loadKeycloakConfig(env({ OIDC_AUDIENCE: '*' }))).toMatchObject({ audiences: null, authorizedParties: null });
    expect(configErrorOf({ OIDC_AUDIENCE: '*,account' }).variable).toBe('OIDC_AUDIENCE');
  });

  it('knows a Keycloak realm by its URL (or KEYCLOAK_ADMIN_URI), any other provider is generic, OIDC_PROVIDER decides', () => {
    const on = (vars: Record<string, string>) => loadKeycloakConfig(env({ ENABLE_OIDC: 'true', ...vars }));
    expect(on({ OIDC_ISSUER_URL: 'https://sso.example.org/realms/orthanc/' }).provider).toBe('keycloak');
    expect(on({ OIDC_ISSUER_URL: 'https://sso.example.org/auth/realms/orthanc' }).provider).toBe('keycloak');
    expect(on({ OIDC_ISSUER_URL: 'https://sso.example.org/api/oidc' }).provider).toBe('generic');
    expect(on({ OIDC_ISSUER_URL: 'https://login.microsoftonline.com/tenant/v2.0' }).provider).toBe('generic');
    expect(
      on({
        OIDC_ISSUER_URL: 'https://kc.example.org/orthanc',
        KEYCLOAK_ADMIN_URI: 'https://kc.example.org/admin/realms/orthanc',
      }).provider,
    ).toBe('keycloak');
    expect(on({ OIDC_ISSUER_URL: 'https://sso.example.org/realms/x', OIDC_PROVIDER: 'generic' }).provider).toBe(
      'generic',
    );
    expect(configErrorOf({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: 'https://a/b', OIDC_PROVIDER: 'okta' }).variable).toBe(
      'OIDC_PROVIDER',
    );
  });

  it('turns the Keycloak-only features off with another provider, without KEYCLOAK_ADMIN_URI errors, and says so', () => {
    const c = loadKeycloakConfig(
      env({
        ENABLE_OIDC: 'true',
        OIDC_ISSUER_URL: 'http://sso.example.org/api/oidc',
        KEYCLOAK_CLIENT_SECRET: 's3cret',
        ENABLE_KEYCLOAK_API_KEYS: 'true',
        OIDC_AUTHORIZED_PARTIES: 'orthanc-auth',
      }),
    );
    expect(c).toMatchObject({ provider: 'generic', apiKeys: false });
    expect(c.admin).toBeUndefined();
    expect(c.keycloakOnlyIgnored).toEqual(['KEYCLOAK_CLIENT_SECRET', 'ENABLE_KEYCLOAK_API_KEYS']);
    const lines = oidcStartupLines(c);
    expect(lines[0]).toMatchObject({ level: 'log' });
    expect(lines[0].text).toMatch(/api-keys, user-id lookups and realm roles in \/settings\/roles .* are off/);
    expect(lines[1]).toMatchObject({ level: 'warn' });
    expect(lines[1].text).toContain('KEYCLOAK_CLIENT_SECRET, ENABLE_KEYCLOAK_API_KEYS');
    expect(lines).toHaveLength(2);
  });

  it('warns at start-up when neither the audience nor the authorized party is checked', () => {
    const c = loadKeycloakConfig(
      env({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: 'http://kc/realms/r', OIDC_AUDIENCE: '*' }),
    );
    expect(oidcStartupLines(c)).toEqual([
      { level: 'warn', text: expect.stringContaining('any client of the provider') },
    ]);
    const on = (vars: Record<string, string>) =>
      oidcStartupLines(
        loadKeycloakConfig(env({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: 'http://kc/realms/r', ...vars })),
      );
    expect(on({ OIDC_AUTHORIZED_PARTIES: 'oe2' })).toEqual([]);
    expect(on({ OIDC_AUDIENCE: 'orthanc-auth' })).toEqual([]);
  });

  // Issue 24 item 6: with Keycloak's default audience, a token of any client of the realm was accepted, silently.
  it("warns at start-up when only Keycloak's default audience `account` is checked, naming the settings", () => {
    const variants: Array<Record<string, string>> = [
      {},
      { OIDC_AUDIENCE: 'account' },
      { KEYCLOAK_AUDIENCE: 'account' },
    ];
    for (const vars of variants) {
      const lines = oidcStartupLines(
        loadKeycloakConfig(env({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: 'http://kc/realms/r/', ...vars })),
      );
      expect(lines).toEqual([
        { level: 'warn', text: expect.stringContaining('only the audience "account" is checked') },
      ]);
      expect(lines[0].text).toContain('OIDC_AUTHORIZED_PARTIES');
      expect(lines[0].text).toContain('OIDC_AUDIENCE');
    }
    // Compatibility: the audience is still only `account`, the token of any client still accepted.
    expect(loadKeycloakConfig(env({})).audiences).toEqual(['account']);
  });

  // Issue 25 item 1: the trailing slash was stripped, so an issuer ending in "/" never matched what it announced.
  it('keeps OIDC_ISSUER as written', () => {
    const c = loadKeycloakConfig(
      env({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: 'http://sso:8080/oidc/', OIDC_ISSUER: 'https://sso.example/oidc/' }),
    );
    expect(c).toMatchObject({ issuerUrl: 'http://sso:8080/oidc/', issuer: 'https://sso.example/oidc/' });
  });

  it('finds the metadata as OpenID Discovery 4.1 says, with or without a terminating slash', () => {
    expect(discoveryUrl('https://sso.example/oidc/')).toBe('https://sso.example/oidc/.well-known/openid-configuration');
    expect(discoveryUrl('https://sso.example/oidc')).toBe('https://sso.example/oidc/.well-known/openid-configuration');
    expect(discoveryUrl('https://portal.example/')).toBe('https://portal.example/.well-known/openid-configuration');
    expect(discoveryUrl('https://portal.example')).toBe('https://portal.example/.well-known/openid-configuration');
  });

  it('takes the announced issuer when it is the configured one, but for the terminating slash of one document', () => {
    expect(announcedIssuerMatches('https://sso.example/oidc/', 'https://sso.example/oidc/')).toBe(true);
    expect(announcedIssuerMatches('http://keycloak:8080/realms/orthanc/', 'http://keycloak:8080/realms/orthanc')).toBe(
      true,
    );
    expect(announcedIssuerMatches('https://sso.example/oidc', 'https://sso.example/oidc/')).toBe(true);
    for (const other of [
      'https://SSO.example/oidc/',
      'https://sso.example:443/oidc/',
      'http://sso.example/oidc/',
      'https://sso.example/oidc//',
      'https://sso.example/OIDC/',
      'https://sso.example/',
    ]) {
      expect({ other, matches: announcedIssuerMatches('https://sso.example/oidc/', other) }).toEqual({
        other,
        matches: false,
      });
    }
  });

  it('introspects with both OIDC_INTROSPECTION_CLIENT_ID and _SECRET, off when unset, one alone an error', () => {
    const base = { ENABLE_OIDC: 'true', OIDC_ISSUER_URL: 'https://sso.example/oidc/' };
    expect(loadKeycloakConfig(env(base)).introspection).toBeUndefined();
    expect(
      loadKeycloakConfig(
        env({ ...base, OIDC_INTROSPECTION_CLIENT_ID: 'orthanc-auth', OIDC_INTROSPECTION_CLIENT_SECRET: 's3cret' }),
      ).introspection,
    ).toEqual({ clientId: 'orthanc-auth', clientSecret: 's3cret', cacheMaxMs: 60_000, cacheBytes: 8 * 1024 * 1024 });
    expect(
      loadKeycloakConfig(
        env({
          ...base,
          OIDC_INTROSPECTION_CLIENT_ID: 'a',
          OIDC_INTROSPECTION_CLIENT_SECRET: 'b',
          OIDC_INTROSPECTION_CACHE_SECONDS: '5',
          OIDC_INTROSPECTION_CACHE_MB: '0',
        }),
      ).introspection,
    ).toMatchObject({ cacheMaxMs: 5000, cacheBytes: 0 });
    expect(configErrorOf({ ...base, OIDC_INTROSPECTION_CLIENT_ID: 'a' }).variable).toBe(
      'OIDC_INTROSPECTION_CLIENT_SECRET',
    );
    expect(configErrorOf({ ...base, OIDC_INTROSPECTION_CLIENT_SECRET: 'b' }).variable).toBe(
      'OIDC_INTROSPECTION_CLIENT_ID',
    );
  });
});
