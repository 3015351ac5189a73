import { registerAs } from '@nestjs/config';
import {
  ConfigError,
  enumSetting,
  Env,
  intSetting,
  listSetting,
  portSetting,
  prefixSetting,
  readSetting,
  urlSetting,
} from '@app/common';
import { SHARE_TOKEN_METHODS, ShareTokenMethod } from './validation/share-decision';

const OHIF_DATA_SOURCES = ['dicom-web', 'dicom-json'] as const;
type OhifDataSource = (typeof OHIF_DATA_SOURCES)[number];

/** 100 years: the bound on validity-duration (the plugin sends garbage when the caller gave none). */
export const MAX_VALIDITY_SECONDS = 100 * 365 * 24 * 3600;

export interface TokensConfig {
  publicOrthancRoot?: string;
  publicOhifRoot?: string;
  publicLandingRoot?: string;
  ohifDataSource: OhifDataSource;
  serverId?: string;
  /** The longest time the plugin may cache a validate answer (seconds). */
  validateCacheSeconds: number;
  /** How many verified share tokens are remembered (0 disables the cache). */
  verifiedTokenCacheSize: number;
  /** The validate methods share tokens are granted: get and post by default, get only when narrowed. */
  shareTokenMethods: ShareTokenMethod[];
  /** How many bytes of heap the verified tokens may hold (0 disables the cache). */
  verifiedTokenCacheBytes: number;
  /** The longest life of a token created with a Keycloak user's bearer token (seconds); none given means this. */
  bearerShareMaxValidity: number;
  /** Token creations per minute and per Basic login (0: no limit). */
  creationLimitBasic: number;
  /** Token creations per minute and per Keycloak user (0: no limit). */
  creationLimitBearer: number;
  /** The public URL of the share page protected links point to (PUBLIC_SHARE_PAGE_ROOT). */
  publicSharePageRoot?: string;
  /** The shortest password a protected link may have (SHARE_PASSWORD_MIN_LENGTH). */
  sharePasswordMinLength: number;
  /** The life, in seconds, of the child token the share page mints on unlocking (SHARE_CHILD_TOKEN_VALIDITY). */
  shareChildTokenValidity: number;
}

/** Outside production, protected links point to the share page of this service, on the port and prefix it uses. */
function developmentSharePageRoot(env: Env): string {
  return `http://localhost:${portSetting(env)}${prefixSetting(env)}/share/`;
}

/** 30 days: the default life of links created by Keycloak users (BEARER_SHARE_MAX_VALIDITY). */
const DEFAULT_BEARER_SHARE_MAX_VALIDITY = 30 * 24 * 3600;
/**
 * The highest per-minute limit of token creation: the limiter remembers each creation of the last minute per caller
 * (8 bytes each), and finds the oldest with one call taking them all as arguments.
 */
const MAX_CREATION_LIMIT = 60_000;

/** Outside production, links point to a local Orthanc (its default port) so that a newcomer can try the service. */
const DEVELOPMENT_ORTHANC_ROOT = 'http://localhost:8042/';

export function loadTokensConfig(env: Env): TokensConfig {
  const production = env.NODE_ENV === 'production';
  return {
    publicOrthancRoot:
      urlSetting(env, 'PUBLIC_ORTHANC_ROOT', { directory: true }) ??
      (production ? undefined : DEVELOPMENT_ORTHANC_ROOT),
    publicOhifRoot: urlSetting(env, 'PUBLIC_OHIF_ROOT', { directory: true }),
    publicLandingRoot: urlSetting(env, 'PUBLIC_LANDING_ROOT'),
    ohifDataSource: enumSetting(env, 'OHIF_DATA_SOURCE', OHIF_DATA_SOURCES, 'dicom-web'),
    serverId: readSetting(env, 'SERVER_ID'),
    validateCacheSeconds: intSetting(env, 'VALIDATE_CACHE_SECONDS', 60, 0, 3600),
    verifiedTokenCacheSize: intSetting(env, 'VERIFIED_TOKEN_CACHE_SIZE', 10_000, 0, 1_000_000),
    shareTokenMethods: shareTokenMethodsSetting(env),
    verifiedTokenCacheBytes: intSetting(env, 'VERIFIED_TOKEN_CACHE_MB', 32, 0, 4096) * 1024 * 1024,
    bearerShareMaxValidity: intSetting(
      env,
      'BEARER_SHARE_MAX_VALIDITY',
      DEFAULT_BEARER_SHARE_MAX_VALIDITY,
      60,
      MAX_VALIDITY_SECONDS,
    ),
    creationLimitBasic: intSetting(env, 'TOKEN_CREATION_LIMIT_BASIC', 3000, 0, MAX_CREATION_LIMIT),
    creationLimitBearer: intSetting(env, 'TOKEN_CREATION_LIMIT_BEARER', 60, 0, MAX_CREATION_LIMIT),
    publicSharePageRoot:
      urlSetting(env, 'PUBLIC_SHARE_PAGE_ROOT', { directory: true }) ??
      (production ? undefined : developmentSharePageRoot(env)),
    sharePasswordMinLength: intSetting(env, 'SHARE_PASSWORD_MIN_LENGTH', 8, 1, 1024),
    shareChildTokenValidity: intSetting(env, 'SHARE_CHILD_TOKEN_VALIDITY', 3600, 60, 7 * 24 * 3600),
  };
}

/**
 * SHARE_TOKEN_METHODS: `get,post` (the default: the plugin reports the DICOMweb plugin's reads as `post`) or `get`
 * (sites whose viewers never post). Nothing else: put and delete are never granted to a share token.
 */
function shareTokenMethodsSetting(env: Env): ShareTokenMethod[] {
  const name = 'SHARE_TOKEN_METHODS';
  const raw = readSetting(env, name);
  if (raw === undefined) return [...SHARE_TOKEN_METHODS];
  const methods = listSetting(env, name).map((m) => m.toLowerCase());
  const bad = methods.filter((m) => !(SHARE_TOKEN_METHODS as readonly string[]).includes(m));
  if (methods.length === 0 || bad.length > 0 || !methods.includes('get')) {
    throw new ConfigError(
      name,
      `expects "get,post" (the default) or "get"; share tokens are never granted put or delete, got "${raw}"`,
    );
  }
  return SHARE_TOKEN_METHODS.filter((m) => methods.includes(m));
}

/** ConfigModule's `tokens` namespace (`@Inject(tokensConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const tokensConfig = registerAs('tokens', (): TokensConfig => loadTokensConfig(process.env));
