import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JWSHeaderParameters, JWTPayload } from 'jose';
import { MetricsService } from '@app/common';
import { keycloakConfig, KeycloakConfig } from './keycloak.config';
import { AccessTokenRules, checkAccessTokenClaims, TokenRefusal } from './access-token-claims';
import { JwksKeyStore, JwksUnavailableError } from './jwks-key-store';
import { KeycloakIdentity, identityFromClaims } from './keycloak-identity';
import { describe, KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** Three non-empty base64url segments, no padding: the only form of a JWS access token. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose error codes that mean "this token is not a valid access token of the provider" (as opposed to an outage). */
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
 * Verifies the OpenID provider's access tokens locally, for get-profile and the bearer routes, in two parts that can
 * be called separately (a passport-jwt strategy can take them as they are):
 * - `keyFor(header)`: the provider's key for a token's protected header (its JWKS, fetched and cached by
 *   JwksKeyStore: a new key is picked up within a cooldown, a removed one dropped within KEYCLOAK_JWKS_MAX_AGE);
 * - `checkClaims(header, payload)`: issuer, expiry and not-before with the clock tolerance, audience or authorized
 *   party, access-token type, ID tokens refused (checkAccessTokenClaims), a user named.
 * `verify(token)` runs both, with an allow-list of asymmetric algorithms, and maps the claims to an identity. A token
 * that fails gives null, with a debug line naming the check (never the token); an unreachable provider gives a
 * KeycloakUnavailableError (503).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly logger = new Logger(AccessTokenVerifier.name);
  private keys?: { issuer: string; store: JwksKeyStore };

  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    private readonly issuer: KeycloakIssuerService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** The identity the token names, or null when it is not a valid access token of the provider (or OIDC is off). */
  async verify(token: string): Promise<KeycloakIdentity | null> {
    if (!this.config.enabled || !this.plausible(token)) return null;
    const { issuer, store } = await this.keySet();
    let verified: { payload: JWTPayload; protectedHeader: JWSHeaderParameters };
    try {
      verified = await jwtVerify(token, store.getKey, {
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['exp'],
      });
    } catch (err) {
      if (isTokenError(err)) return this.refused({ claim: err.code, reason: tokenErrorReason(err) });
      throw this.unavailable(err);
    }
    const refusal = checkAccessTokenClaims(
      verified.protectedHeader,
      verified.payload,
      this.rules(issuer),
      nowSeconds(),
    );
    if (refusal) return this.refused(refusal);
    return identityFromClaims(verified.payload, this.config.claims);
  }

  /**
   * The provider's verification key for a token's protected header (jose's getKey, passport-jwt's key provider).
   * Rejects with jose's JWKS errors when no key matches, with a KeycloakUnavailableError when the provider's keys
   * cannot be had.
   */
  async keyFor(header: JWSHeaderParameters, token?: FlattenedJWSInput): Promise<CryptoKey> {
    const { store } = await this.keySet();
    try {
      return await store.getKey(header, token);
    } catch (err) {
      throw err instanceof JwksUnavailableError ? this.unavailable(err) : err;
    }
  }

  /** The claim rules on a token whose signature was verified: null when it is an access token for this service. */
  async checkClaims(header: JWSHeaderParameters, payload: JWTPayload): Promise<TokenRefusal | null> {
    const { issuer } = await this.keySet();
    return checkAccessTokenClaims(header, payload, this.rules(issuer), nowSeconds());
  }

  /** Claims -> identity with the configured claim names (null: the token names no user). */
  identity(payload: JWTPayload): KeycloakIdentity | null {
    return identityFromClaims(payload, this.config.claims);
  }

  private rules(issuer: string): AccessTokenRules {
    return {
      issuer,
      audiences: this.config.audiences,
      authorizedParties: this.config.authorizedParties,
      requireAtJwt: this.config.requireAtJwt,
      clockToleranceSeconds: this.config.clockToleranceSeconds,
      userIdClaim: this.config.claims.userId,
    };
  }

  private refused(refusal: TokenRefusal): null {
    this.logger.debug(`access token refused: ${refusal.claim} ${refusal.reason}`);
    return null;
  }

  private unavailable(err: unknown): KeycloakUnavailableError {
    if (err instanceof KeycloakUnavailableError) return err;
    this.logger.error(`the OpenID provider's key set could not be used: ${describe(err)}`);
    return new KeycloakUnavailableError('signing keys unavailable', err);
  }

  /**
   * A cheap look before any network I/O: only a compact JWS whose header names an allowed algorithm can be an
   * access token of the provider. Share tokens (HS256), Basic credentials and garbage never reach it.
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

  private async keySet(): Promise<{ issuer: string; store: JwksKeyStore }> {
    if (this.keys) return this.keys;
    const metadata = (await this.issuer.configuration()).serverMetadata();
    if (!metadata.jwks_uri) throw new KeycloakUnavailableError('the OpenID provider announces no jwks_uri');
    this.keys ??= {
      issuer: metadata.issuer,
      store: new JwksKeyStore({
        jwksUri: metadata.jwks_uri,
        timeoutMs: this.config.timeoutMs,
        cooldownMs: this.config.jwksCooldownMs,
        maxAgeMs: this.config.jwksMaxAgeMs,
        onFetch: (ok) => this.metrics?.peerCall('keycloak', 'jwks', ok),
        onStale: (err) =>
          this.logger.warn(
            `the OpenID provider's key set could not be refreshed (${describe(err)}); verifying with the keys fetched before`,
          ),
      }),
    };
    return this.keys;
  }
}

function isTokenError(err: unknown): err is errors.JOSEError {
  return err instanceof errors.JOSEError && TOKEN_ERRORS.has(err.code);
}

/** What a jose refusal says, for the debug line: the claim for claim errors (jose names it), else the message. */
function tokenErrorReason(err: errors.JOSEError): string {
  if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
    return `(${err.claim}: ${err.reason})`;
  }
  return `(${err.message})`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
