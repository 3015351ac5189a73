import { registerAs } from '@nestjs/config';
import {
  boolSetting,
  ConfigError,
  enumSetting,
  Env,
  intSetting,
  listSetting,
  readSetting,
  urlSetting,
} from '@app/common';

/** Asymmetric JWS algorithms: the only ones an access token may use here. HS* and none never are. */
const ASYMMETRIC_ALGORITHMS = [
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
const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Which OpenID provider issues the user tokens. `keycloak` adds what needs Keycloak's own admin REST API (api-keys,
 * user-id lookups, realm roles in /settings/roles); `generic` is any other OpenID Connect provider (glewlwyd,
 * Authentik, Entra ID, LemonLDAP...), whose tokens are verified the same way.
 */
type OidcProvider = 'keycloak' | 'generic';
const OIDC_PROVIDERS: readonly OidcProvider[] = ['keycloak', 'generic'];

export interface KeycloakAdminConfig {
  /** The realm's admin REST root, always ending with '/' (`http://keycloak:8080/admin/realms/orthanc/`). */
  adminUri: string;
  clientId: string;
  clientSecret: string;
}

export interface IntrospectionConfig {
  clientId: string;
  clientSecret: string;
  /** An answer is reused until the token's `exp`, at most this long (a revoked token is refused within it). */
  cacheMaxMs: number;
  /** How many bytes of heap the cached answers may hold (0: nothing cached). */
  cacheBytes: number;
}

/** Where the identity of a verified token is read: each a claim path, split (`realm_access.roles` -> ['realm_access', 'roles']). */
export interface ClaimMapping {
  userId: string[];
  /** Tried in order; the first non-empty string is the name (else the user id). */
  names: string[][];
  /** An array of strings, or one string of names separated by spaces, commas or semicolons. */
  roles: string[];
  groups: string[];
}

export interface KeycloakConfig {
  enabled: boolean;
  provider: OidcProvider;
  /**
   * OIDC_ISSUER_URL (KEYCLOAK_URI) exactly as written: where discovery starts (`<it, without a terminating />` +
   * `/.well-known/openid-configuration`, OpenID Discovery 4.1), e.g. `http://keycloak:8080/realms/orthanc/`.
   */
  issuerUrl?: string;
  /**
   * OIDC_ISSUER (KEYCLOAK_ISSUER) exactly as written: the issuer the tokens carry when it differs from OIDC_ISSUER_URL
   * (the provider reached on an internal URL but configured with a public hostname). Unset: OIDC_ISSUER_URL. Either is
   * compared with the issuer the provider announces (see announcedIssuerMatches); the tokens' `iss` with that one.
   */
  issuer?: string;
  /** Set with OIDC_INTROSPECTION_CLIENT_ID and _SECRET: opaque access tokens are introspected (RFC 7662). */
  introspection?: IntrospectionConfig;
  /** Set when KEYCLOAK_CLIENT_SECRET is given with Keycloak: the admin REST client (api-keys, user-id lookups, realm roles). */
  admin?: KeycloakAdminConfig;
  apiKeys: boolean;
  /** Keycloak-only settings that were given but are off because the provider is not Keycloak (for the start-up line). */
  keycloakOnlyIgnored: string[];
  /** Accepted `aud` values (one must be present); null: the audience is not checked. */
  audiences: string[] | null;
  /** Accepted `azp` / `client_id` values (those present must all be listed, at least one present); null: not checked. */
  authorizedParties: string[] | null;
  /**
   * OIDC_REQUIRE_AT_JWT: the provider types its access tokens as RFC 9068 says (header `typ: at+jwt`), so a token
   * without it (an ID token) is refused. (Not named *_TOKEN_*: the log scrubber blanks the values of such settings.)
   */
  requireAtJwt: boolean;
  claims: ClaimMapping;
  algorithms: string[];
  clockToleranceSeconds: number;
  timeoutMs: number;
  /**
   * After a key-set fetch, how long before the next one: an unknown `kid` within it waits for the fetch at its end
   * (one for all waiting tokens), so a new provider key is picked up within this long and a flood costs one fetch.
   */
  jwksCooldownMs: number;
  /** How long a fetched JWKS is fresh; after it, the next verification refetches (and, if the provider is down, uses it stale). */
  jwksMaxAgeMs: number;
}

/**
 * One setting under its provider-neutral name or its older Keycloak name (kept working). Both given with different
 * values is an error naming both; the name actually used is returned, for the parsers and their error messages.
 */
function aliasedName(env: Env, name: string, olderName: string): string {
  const value = readSetting(env, name);
  const older = readSetting(env, olderName);
  if (value !== undefined && older !== undefined && value !== older) {
    throw new ConfigError(
      name,
      `and its older name ${olderName} are both set, to different values ("${value}", "${older}"): keep one`,
    );
  }
  return value !== undefined || older === undefined ? name : olderName;
}

const FORBIDDEN_PATH_PARTS = new Set(['', '__proto__', 'constructor', 'prototype']);

/** A dotted claim path such as `realm_access.roles`, split; own-property names only, never prototype keys. */
function claimPath(raw: string, variable: string, example: string): string[] {
  const path = raw.trim().split('.');
  if (path.some((p) => FORBIDDEN_PATH_PARTS.has(p))) {
    throw new ConfigError(variable, `expects a dotted claim path such as ${example}, got "${raw}"`);
  }
  return path;
}

function claimMapping(env: Env): ClaimMapping {
  const rolesName = aliasedName(env, 'OIDC_ROLES_CLAIM', 'KEYCLOAK_ROLES_CLAIM');
  const names = listSetting(env, 'OIDC_NAME_CLAIMS');
  return {
    userId: claimPath(readSetting(env, 'OIDC_USER_ID_CLAIM') ?? 'sub', 'OIDC_USER_ID_CLAIM', 'sub'),
    names: (names.length ? names : ['name', 'preferred_username']).map((n) =>
      claimPath(n, 'OIDC_NAME_CLAIMS', 'name,preferred_username'),
    ),
    roles: claimPath(readSetting(env, rolesName) ?? 'realm_access.roles', rolesName, 'realm_access.roles'),
    groups: claimPath(readSetting(env, 'OIDC_GROUPS_CLAIM') ?? 'groups', 'OIDC_GROUPS_CLAIM', 'groups'),
  };
}

/** Keycloak's audience for its account console, which it puts in the access tokens of every client of a realm. */
const DEFAULT_AUDIENCE = 'account';

/** OIDC_AUDIENCE: a list; `*` alone turns the check off (explicitly only); unset: `account`, or off when azp/client_id are checked instead. */
function audiences(env: Env, authorizedParties: string[] | null): string[] | null {
  const name = aliasedName(env, 'OIDC_AUDIENCE', 'KEYCLOAK_AUDIENCE');
  const list = listSetting(env, name);
  if (list.includes('*')) {
    if (list.length > 1)
      throw new ConfigError(name, 'is either a list of audiences or "*" (no audience check), not both');
    return null;
  }
  if (list.length) return list;
  return authorizedParties ? null : [DEFAULT_AUDIENCE];
}

/** Keycloak realm URLs end with `/realms/<realm>`: the provider is Keycloak unless OIDC_PROVIDER says otherwise. */
function detectProvider(env: Env, issuerUrl: string): OidcProvider {
  const explicit = readSetting(env, 'OIDC_PROVIDER');
  if (explicit !== undefined) return enumSetting(env, 'OIDC_PROVIDER', OIDC_PROVIDERS, 'generic');
  if (readSetting(env, 'KEYCLOAK_ADMIN_URI') !== undefined) return 'keycloak';
  return /\/realms\/[^/]+\/?$/.test(new URL(issuerUrl).pathname) ? 'keycloak' : 'generic';
}

/** OIDC_INTROSPECTION_CLIENT_ID and _SECRET: both or neither (then opaque tokens are refused). */
function introspection(env: Env): IntrospectionConfig | undefined {
  const clientId = readSetting(env, 'OIDC_INTROSPECTION_CLIENT_ID');
  const clientSecret = readSetting(env, 'OIDC_INTROSPECTION_CLIENT_SECRET');
  if (!clientId && !clientSecret) return undefined;
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      clientId ? 'OIDC_INTROSPECTION_CLIENT_SECRET' : 'OIDC_INTROSPECTION_CLIENT_ID',
      "is required with the other OIDC_INTROSPECTION_CLIENT_* setting: the client that may call the provider's " +
        'introspection endpoint (RFC 7662) for opaque access tokens',
    );
  }
  return {
    clientId,
    clientSecret,
    cacheMaxMs: intSetting(env, 'OIDC_INTROSPECTION_CACHE_SECONDS', 60, 0, 3600) * 1000,
    cacheBytes: intSetting(env, 'OIDC_INTROSPECTION_CACHE_MB', 8, 0, 1024) * 1024 * 1024,
  };
}

/**
 * Does the issuer the provider announces name the one configured? Exactly the same string, or the same but for a
 * terminating `/` after a path (`https://sso.example/oidc` and `https://sso.example/oidc/`), which OpenID Discovery 4.1
 * maps to the same discovery document: the provider that serves it says which of the two it is, and the tokens are
 * compared with that one, exactly. (`KEYCLOAK_URI=http://keycloak:8080/realms/orthanc/`, the trailing slash sites have
 * always written, thus names the realm that announces `.../realms/orthanc`.) Nothing else is normalised: another
 * scheme, host, port, case or path is another issuer.
 */
export function announcedIssuerMatches(configured: string, announced: string): boolean {
  return configured === announced || withoutTerminatingSlash(configured) === withoutTerminatingSlash(announced);
}

function withoutTerminatingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** Where OpenID Discovery 4.1 finds the provider's metadata: the issuer without a terminating `/`, then the path. */
export function discoveryUrl(issuerUrl: string): string {
  return `${issuerUrl.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

export function loadKeycloakConfig(env: Env): KeycloakConfig {
  const enableName = aliasedName(env, 'ENABLE_OIDC', 'ENABLE_KEYCLOAK');
  const enabled = boolSetting(env, enableName, false);
  const algorithmsName = aliasedName(env, 'OIDC_ALGORITHMS', 'KEYCLOAK_ALGORITHMS');
  const algorithms = listSetting(env, algorithmsName);
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError(
        algorithmsName,
        `accepts only asymmetric JWS algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')}); "${alg}" is refused`,
      );
    }
  }
  const parties = listSetting(env, 'OIDC_AUTHORIZED_PARTIES');
  const authorizedParties = parties.length ? parties : null;
  const common = {
    enabled,
    audiences: audiences(env, authorizedParties),
    authorizedParties,
    requireAtJwt: boolSetting(env, 'OIDC_REQUIRE_AT_JWT', false),
    claims: claimMapping(env),
    algorithms: algorithms.length ? algorithms : [...DEFAULT_ALGORITHMS],
    clockToleranceSeconds: intSetting(
      env,
      aliasedName(env, 'OIDC_CLOCK_TOLERANCE', 'KEYCLOAK_CLOCK_TOLERANCE'),
      30,
      0,
      300,
    ),
    timeoutMs: intSetting(env, aliasedName(env, 'OIDC_TIMEOUT', 'KEYCLOAK_TIMEOUT'), 5000, 100, 60000),
    // Short, so that a new provider key is picked up within seconds even right after a flood of unknown kids (which
    // then costs one fetch per cooldown, whatever its size).
    jwksCooldownMs:
      intSetting(env, aliasedName(env, 'OIDC_JWKS_COOLDOWN', 'KEYCLOAK_JWKS_COOLDOWN'), 3, 0, 3600) * 1000,
    // A key the provider removed (rotated out, compromised) stays trusted until the key set is refetched: at most this
    // long (found by the hostile suite: 10 minutes with jose's default when the successor key was already cached).
    // Refetching costs one small request a minute, and with stale-if-error an outage costs nothing more.
    jwksMaxAgeMs: intSetting(env, aliasedName(env, 'OIDC_JWKS_MAX_AGE', 'KEYCLOAK_JWKS_MAX_AGE'), 60, 1, 86400) * 1000,
  };
  if (!enabled) return { ...common, provider: 'keycloak', apiKeys: false, keycloakOnlyIgnored: [] };

  let issuerUrlName = aliasedName(env, 'OIDC_ISSUER_URL', 'KEYCLOAK_URI');
  // Nothing given: name the setting in the family the site uses (ENABLE_KEYCLOAK -> KEYCLOAK_URI).
  if (readSetting(env, issuerUrlName) === undefined && enableName === 'ENABLE_KEYCLOAK') issuerUrlName = 'KEYCLOAK_URI';
  const url = urlSetting(env, issuerUrlName);
  if (!url) {
    throw new ConfigError(
      issuerUrlName,
      `is required when ${enableName}=true: the issuer URL of the OpenID provider, ` +
        'e.g. a Keycloak realm http://keycloak:8080/realms/orthanc/',
    );
  }
  // Both as written: the provider's issuer may well end with '/' (OpenID Discovery 4.3 compares it exactly).
  const issuerUrl = url;
  const issuer = urlSetting(env, aliasedName(env, 'OIDC_ISSUER', 'KEYCLOAK_ISSUER'));
  const provider = detectProvider(env, issuerUrl);
  const secret = readSetting(env, 'KEYCLOAK_CLIENT_SECRET');
  const apiKeys = boolSetting(env, 'ENABLE_KEYCLOAK_API_KEYS', false);
  const oidc = { ...common, provider, issuerUrl, issuer, introspection: introspection(env) };
  if (provider === 'generic') {
    const keycloakOnlyIgnored = [
      ...(secret ? ['KEYCLOAK_CLIENT_SECRET'] : []),
      ...(apiKeys ? ['ENABLE_KEYCLOAK_API_KEYS'] : []),
      ...(readSetting(env, 'KEYCLOAK_CLIENT_ID') ? ['KEYCLOAK_CLIENT_ID'] : []),
    ];
    return { ...oidc, apiKeys: false, keycloakOnlyIgnored };
  }

  let admin: KeycloakAdminConfig | undefined;
  if (secret) {
    const explicit = urlSetting(env, 'KEYCLOAK_ADMIN_URI');
    const realmUrl = issuerUrl.replace(/\/+$/, '');
    const derived = realmUrl.includes('/realms/')
      ? realmUrl.replace(/\/realms\/(?=[^/]+$)/, '/admin/realms/')
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
  if (apiKeys && !admin) {
    throw new ConfigError(
      'KEYCLOAK_CLIENT_SECRET',
      'is required when ENABLE_KEYCLOAK_API_KEYS=true: the secret of the admin-cli client (client credentials) that looks api-keys up',
    );
  }
  return { ...oidc, admin, apiKeys, keycloakOnlyIgnored: [] };
}

/**
 * What the start-up log says about the OpenID provider: which one, what is off with it and why, and a warning when no
 * audience nor authorized party is checked, or only Keycloak's default audience `account`, which every client of a realm
 * gets in its tokens (any client of the provider could then call here with its users' tokens).
 */
export function oidcStartupLines(config: KeycloakConfig): Array<{ level: 'log' | 'warn'; text: string }> {
  if (!config.enabled) return [];
  const lines: Array<{ level: 'log' | 'warn'; text: string }> = [];
  if (config.provider === 'generic') {
    lines.push({
      level: 'log',
      text:
        `OpenID provider ${config.issuerUrl} (OIDC_PROVIDER=generic): api-keys, user-id lookups and realm roles in ` +
        "/settings/roles need Keycloak's admin REST API and are off; user tokens are verified as with Keycloak",
    });
    if (config.keycloakOnlyIgnored.length) {
      lines.push({
        level: 'warn',
        text: `ignored with a provider that is not Keycloak: ${config.keycloakOnlyIgnored.join(', ')} (set OIDC_PROVIDER=keycloak if it is one)`,
      });
    }
  }
  if (!config.audiences && !config.authorizedParties) {
    lines.push({
      level: 'warn',
      text: 'OIDC_AUDIENCE=* and no OIDC_AUTHORIZED_PARTIES: access tokens issued to any client of the provider are accepted',
    });
  } else if (!config.authorizedParties && config.audiences?.length === 1 && config.audiences[0] === DEFAULT_AUDIENCE) {
    lines.push({
      level: 'warn',
      text:
        `only the audience "${DEFAULT_AUDIENCE}" is checked, which Keycloak gives the tokens of every client of the realm: ` +
        "a user token issued to any of the provider's clients is accepted. Set OIDC_AUTHORIZED_PARTIES to the client ids " +
        "that send tokens here (e.g. Orthanc Explorer 2's), or OIDC_AUDIENCE to an audience only their tokens carry",
    });
  }
  return lines;
}

/** ConfigModule's `keycloak` namespace (`@Inject(keycloakConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const keycloakConfig = registerAs('keycloak', (): KeycloakConfig => loadKeycloakConfig(process.env));
