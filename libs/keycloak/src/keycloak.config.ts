import { registerAs } from '@nestjs/config';
import { boolSetting, ConfigError, Env, intSetting, listSetting, readSetting, urlSetting } from '@app/common';

/** Asymmetric JWS algorithms: the only ones a Keycloak access token may use here. HS* and none never are. */
export const ASYMMETRIC_ALGORITHMS = [
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
  'Ed25519',
] as const;
export const DEFAULT_ALGORITHMS = [
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
];

export interface KeycloakAdminConfig {
  /** The realm's admin REST root, always ending with '/' (`http://keycloak:8080/admin/realms/orthanc/`). */
  adminUri: string;
  clientId: string;
  clientSecret: string;
}

export interface KeycloakConfig {
  enabled: boolean;
  /** The realm URL without a trailing slash (the issuer Keycloak announces), e.g. `http://keycloak:8080/realms/orthanc`. */
  realmUri?: string;
  /**
   * KEYCLOAK_ISSUER: the issuer the realm's tokens carry when it differs from KEYCLOAK_URI (Keycloak reached on an
   * internal URL but configured with a public hostname). Unset: the issuer is KEYCLOAK_URI, checked at discovery.
   */
  issuer?: string;
  /** Set when KEYCLOAK_CLIENT_SECRET is given: the admin REST client (api-keys, user-id lookups, realm roles). */
  admin?: KeycloakAdminConfig;
  apiKeys: boolean;
  audience: string;
  /** Dotted path of the roles claim, split: `realm_access.roles` -> ['realm_access', 'roles']. */
  rolesClaim: string[];
  algorithms: string[];
  clockToleranceSeconds: number;
  timeoutMs: number;
  /** After a JWKS fetch, how long an unknown `kid` does not trigger another one (rate limit against random kids). */
  jwksCooldownMs: number;
  /** How long a fetched JWKS is fresh; after it, the next verification refetches (and, if Keycloak is down, uses it stale). */
  jwksMaxAgeMs: number;
}

export function loadKeycloakConfig(env: Env): KeycloakConfig {
  const enabled = boolSetting(env, 'ENABLE_KEYCLOAK', false);
  const algorithms = listSetting(env, 'KEYCLOAK_ALGORITHMS');
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError(
        'KEYCLOAK_ALGORITHMS',
        `accepts only asymmetric JWS algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); "${alg}" is refused`,
      );
    }
  }
  const rolesClaim = readSetting(env, 'KEYCLOAK_ROLES_CLAIM') ?? 'realm_access.roles';
  const rolesPath = rolesClaim.split('.');
  if (rolesPath.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new ConfigError(
      'KEYCLOAK_ROLES_CLAIM',
      `expects a dotted claim path such as realm_access.roles, got "${rolesClaim}"`,
    );
  }
  const common = {
    enabled,
    audience: readSetting(env, 'KEYCLOAK_AUDIENCE') ?? 'account',
    rolesClaim: rolesPath,
    algorithms: algorithms.length ? algorithms : [...DEFAULT_ALGORITHMS],
    clockToleranceSeconds: intSetting(env, 'KEYCLOAK_CLOCK_TOLERANCE', 30, 0, 300),
    timeoutMs: intSetting(env, 'KEYCLOAK_TIMEOUT', 5000, 100, 60000),
    jwksCooldownMs: intSetting(env, 'KEYCLOAK_JWKS_COOLDOWN', 30, 0, 3600) * 1000,
    // A key the realm removed (rotated out, compromised) stays trusted until the key set is refetched: at most this
    // long (found by the hostile suite: 10 minutes with jose's default when the successor key was already cached).
    // Refetching costs one small request a minute, and with stale-if-error an outage costs nothing more.
    jwksMaxAgeMs: intSetting(env, 'KEYCLOAK_JWKS_MAX_AGE', 60, 1, 86400) * 1000,
  };
  if (!enabled) return { ...common, apiKeys: false };

  const realm = urlSetting(env, 'KEYCLOAK_URI');
  if (!realm) {
    throw new ConfigError(
      'KEYCLOAK_URI',
      'is required when ENABLE_KEYCLOAK=true: the realm URL, e.g. http://keycloak:8080/realms/orthanc/',
    );
  }
  const realmUri = realm.replace(/\/+$/, '');
  const issuer = urlSetting(env, 'KEYCLOAK_ISSUER')?.replace(/\/+$/, '');
  const secret = readSetting(env, 'KEYCLOAK_CLIENT_SECRET');
  let admin: KeycloakAdminConfig | undefined;
  if (secret) {
    const explicit = urlSetting(env, 'KEYCLOAK_ADMIN_URI');
    const derived = realmUri.includes('/realms/')
      ? realmUri.replace(/\/realms\/(?=[^/]+$)/, '/admin/realms/')
      : undefined;
    const adminUri = explicit ?? derived;
    if (!adminUri) {
      throw new ConfigError(
        'KEYCLOAK_ADMIN_URI',
        'is required with KEYCLOAK_CLIENT_SECRET: the realm admin URL, e.g. http://keycloak:8080/admin/realms/orthanc/',
      );
    }
    admin = {
      adminUri: adminUri.endsWith('/') ? adminUri : `${adminUri}/`,
      clientId: readSetting(env, 'KEYCLOAK_CLIENT_ID') ?? 'admin-cli',
      clientSecret: secret,
    };
  }
  const apiKeys = boolSetting(env, 'ENABLE_KEYCLOAK_API_KEYS', false);
  if (apiKeys && !admin) {
    throw new ConfigError(
      'KEYCLOAK_CLIENT_SECRET',
      'is required when ENABLE_KEYCLOAK_API_KEYS=true: the secret of the admin-cli client (client credentials) that looks api-keys up',
    );
  }
  return { ...common, realmUri, issuer, admin, apiKeys };
}

export const keycloakConfig = registerAs('keycloak', (): KeycloakConfig => loadKeycloakConfig(process.env));
