import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  JWTPayload,
  jwtVerify,
  RemoteJWKSet,
} from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { keycloakConfig, KeycloakConfig } from './keycloak.config';
import { KeycloakIdentity, identityFromClaims } from './keycloak-identity';
import { describe, KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** Three non-empty base64url segments, no padding: the only form of a JWS access token. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose error codes that mean "this token is not a valid access token of the realm" (as opposed to an outage). */
const TOKEN_ERRORS = new Set([
  errors.JWTClaimValidationFailed.code,
  errors.JWTExpired.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JWKInvalid.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWSSignatureVerificationFailed.code,
]);

/**
 * Verifies the OpenID provider's access tokens locally: signature against its JWKS (jose's remote key set, cached,
 * looked up by `kid`, refetched on an unknown `kid` at most once per cooldown so that a key rotation needs no
 * restart), issuer = the discovered issuer, audience (one of a list) and/or authorized party (azp, client_id), an
 * asymmetric algorithm allow-list, expiry with a clock tolerance, a user id claim. A token that fails any check gives
 * null; an unreachable provider gives a KeycloakUnavailableError (503).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly logger = new Logger(AccessTokenVerifier.name);
  private keys?: { issuer: string; remote: RemoteJWKSet };
  private staleWarnedAt = 0;

  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    private readonly issuer: KeycloakIssuerService,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** The identity the token names, or null when it is not a valid access token of the realm (or Keycloak is off). */
  async verify(token: string): Promise<KeycloakIdentity | null> {
    if (!this.config.enabled || !this.plausible(token)) return null;
    const { issuer, remote } = await this.keySet();
    try {
      return this.identity(await this.check(token, issuer, remote));
    } catch (err) {
      if (isTokenError(err)) return this.refused(err);
      // The realm could not be asked (down, timeout, bad answer). Keys fetched before still decide, even past their
      // freshness; only a token whose key was never seen needs the realm: 503.
      const stale = remote.jwks();
      if (stale) {
        try {
          const payload = await this.check(token, issuer, createLocalJWKSet(stale));
          if (Date.now() - this.staleWarnedAt > 60_000) {
            this.staleWarnedAt = Date.now();
            this.logger.warn(
              `the realm's key set could not be refreshed (${describe(err)}); verifying with the keys fetched before`,
            );
          }
          return this.identity(payload);
        } catch (staleErr) {
          if (isTokenError(staleErr) && (staleErr as errors.JOSEError).code !== errors.JWKSNoMatchingKey.code) {
            return this.refused(staleErr as errors.JOSEError);
          }
        }
      }
      this.logger.error(`the realm's key set could not be used: ${describe(err)}`);
      throw new KeycloakUnavailableError('signing keys unavailable', err);
    }
  }

  private async check(token: string, issuer: string, getKey: JWTVerifyGetKey): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, getKey, {
      issuer,
      audience: this.config.audiences ?? undefined,
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
    return payload;
  }

  private identity(payload: JWTPayload): KeycloakIdentity | null {
    // Keycloak marks its access tokens typ "Bearer"; ID, refresh and logout tokens are not credentials here.
    if (payload.typ !== undefined && String(payload.typ).toLowerCase() !== 'bearer') return null;
    const parties = this.config.authorizedParties;
    if (parties) {
      // azp (OpenID Connect, Keycloak) or client_id (RFC 9068): those present must all be listed, one at least.
      const given = [payload.azp, payload.client_id].filter((v) => v !== undefined);
      if (!given.length || given.some((p) => typeof p !== 'string' || !parties.includes(p))) return null;
    }
    return identityFromClaims(payload, this.config.claims);
  }

  private refused(err: errors.JOSEError): null {
    this.logger.debug(`access token refused: ${err.code}`);
    return null;
  }

  /**
   * A cheap look before any network I/O: only a compact JWS whose header names an allowed algorithm can be a
   * Keycloak access token. Share tokens (HS256), Basic credentials and garbage never reach Keycloak.
   */
  private plausible(token: string): boolean {
    // Strict compact serialisation: jose's base64url decoder tolerates '=' padding and '+' '/', so without this
    // check one genuine token has many spellings (found by the hostile suite: `<token>==` was accepted).
    if (!COMPACT_JWS.test(token)) return false;
    try {
      const header = decodeProtectedHeader(token);
      return typeof header.alg === 'string' && this.config.algorithms.includes(header.alg);
    } catch {
      return false;
    }
  }

  private async keySet(): Promise<{ issuer: string; remote: RemoteJWKSet }> {
    if (this.keys) return this.keys;
    const metadata = (await this.issuer.configuration()).serverMetadata();
    if (!metadata.jwks_uri) throw new KeycloakUnavailableError('the realm announces no jwks_uri');
    this.keys = {
      issuer: metadata.issuer,
      remote: createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: this.config.timeoutMs,
        cooldownDuration: this.config.jwksCooldownMs,
        cacheMaxAge: this.config.jwksMaxAgeMs,
      }),
    };
    return this.keys;
  }
}

function isTokenError(err: unknown): err is errors.JOSEError {
  return err instanceof errors.JOSEError && TOKEN_ERRORS.has(err.code);
}
