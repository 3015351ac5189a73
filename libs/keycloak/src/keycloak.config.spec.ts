import { loadKeycloakConfig } from './keycloak.config';
import { configError } from '../../../test/support/config-error';

const env = (vars: Record<string, string>) => ({ SECRETS_DIR: '/nonexistent-secrets', ...vars });

const configErrorOf = (vars: Record<string, string>) => configError(() => loadKeycloakConfig(env(vars)));

describe('loadKeycloakConfig', () => {
  it('is off by default, with the documented defaults', () => {
    const c = loadKeycloakConfig(env({}));
    expect(c.enabled).toBe(false);
    expect(c.apiKeys).toBe(false);
    expect(c.audience).toBe('account');
    expect(c.rolesClaim).toEqual(['realm_access', 'roles']);
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
  });

  it('requires KEYCLOAK_URI when enabled, naming it', () => {
    expect(configErrorOf({ ENABLE_KEYCLOAK: 'true' }).variable).toBe('KEYCLOAK_URI');
    expect(configErrorOf({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: 'keycloak:8080' }).variable).toBe('KEYCLOAK_URI');
  });

  it('keeps the realm URL without its trailing slash and derives the admin URL from it', () => {
    const c = loadKeycloakConfig(
      env({
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: 'http://keycloak:8080/realms/orthanc/',
        KEYCLOAK_CLIENT_SECRET: 's3cret',
      }),
    );
    expect(c.realmUri).toBe('http://keycloak:8080/realms/orthanc');
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
    expect(loadKeycloakConfig(env({ KEYCLOAK_ROLES_CLAIM: 'resource_access.orthanc.roles' })).rolesClaim).toEqual([
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
});
