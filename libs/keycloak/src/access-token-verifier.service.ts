import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { CryptoKey, JWSHeaderParameters, JWTPayload } from 'jose';
import { MetricsService } from '@app/common';
import { keycloakConfig, KeycloakConfig } from './keycloak.config';
import { AccessTokenRules, checkAccessTokenClaims, TokenRefusal } from './access-token-claims';
import { JwksKeyStore, JwksUnavailableError } from './jwks-key-store';
import { KeycloakIdentity, identityFromClaims } from './keycloak-identity';
import { describe, KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** Three non-empty base64url segments, no padding: the only form of a JWS access token. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A UTF-8 byte-order mark (EF BB BF) at the start of a base64url segment. */
const BOM_BASE64URL = '77u_';
/** jose verifies no RS or PS signature with a smaller key. */
const MIN_RSA_BITS = 2048;

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
 * Verifies the OpenID provider's access tokens locally, for get-profile (`verify`, with jose) and for the bearer
 * routes (passport-jwt, whose jsonwebtoken checks the signature). Both go through the same three steps here, so that
 * one rule set decides, whichever library checks the signature:
 * - `keyForToken(token)`: the token's form (a strict compact JWS whose header names an allowed algorithm) and the
 *   provider's key for its protected header, from its JWKS fetched and cached by JwksKeyStore (a new key picked up
 *   within a cooldown, a removed one dropped within OIDC_JWKS_MAX_AGE, unknown kids refused, RSA keys of 2048 bits
 *   or more);
 * - the signature, with the same algorithm allow-list and clock tolerance (jose here, jsonwebtoken for passport-jwt);
 * - `identityOf(header, claims)`: issuer, expiry and not-before with the clock tolerance, audience or authorized
 *   party, access-token type, ID tokens refused (checkAccessTokenClaims), then the identity the claims name.
 * A token that fails gives null, with a debug line naming the check (never the token); an unreachable provider gives
 * a KeycloakUnavailableError (503).
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
    const header = this.config.enabled ? this.plausibleHeader(token) : null;
    if (!header) return null;
    let verified: { payload: JWTPayload; protectedHeader: JWSHeaderParameters };
    try {
      verified = await jwtVerify(token, (protectedHeader) => this.keyFor(protectedHeader), {
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['exp'],
      });
    } catch (err) {
      if (isTokenError(err)) return this.refused({ claim: err.code, reason: tokenErrorReason(err) });
      throw this.unavailable(err);
    }
    return this.identityOf(verified.protectedHeader, verified.payload);
  }

  /**
   * passport-jwt's key provider: the provider's key for this token, or null when the token is refused before its
   * signature is checked: OIDC off, not a strict compact JWS, an algorithm not allowed, claims that jose would not
   * read as a JSON object (so that jsonwebtoken, which reads them more loosely, never sees such a token), no key of
   * the provider for its header (each but the first two with a debug line, as `verify` gives). Rejects with a
   * KeycloakUnavailableError when the provider's keys cannot be had.
   */
  async keyForToken(token: string): Promise<CryptoKey | null> {
    const header = this.config.enabled ? this.plausibleHeader(token) : null;
    if (!header) return null;
    try {
      decodeJwt(token);
      return await this.keyFor(header);
    } catch (err) {
      if (isTokenError(err)) return this.refused({ claim: err.code, reason: tokenErrorReason(err) });
      throw this.unavailable(err);
    }
  }

  /**
   * The claim rules (checkAccessTokenClaims) on a token whose signature was verified, then the identity its claims
   * name: null, with a debug line naming the rule, when it is not an access token of the provider for this service.
   */
  async identityOf(header: JWSHeaderParameters, claims: JWTPayload): Promise<KeycloakIdentity | null> {
    const { issuer } = await this.keySet();
    const refusal = checkAccessTokenClaims(header, claims, this.rules(issuer), nowSeconds());
    if (refusal) return this.refused(refusal);
    return identityFromClaims(claims, this.config.claims);
  }

  /**
   * The provider's verification key for a token's protected header, from the key set both paths share. Rejects with
   * jose's JWKS errors when no key matches, with a KeycloakUnavailableError when the provider's keys cannot be had or
   * the matching one is an RSA key shorter than 2048 bits (which jose refuses to verify with: the provider's
   * misconfiguration, not the token's fault).
   */
  private async keyFor(header: JWSHeaderParameters): Promise<CryptoKey> {
    const { store } = await this.keySet();
    let key: CryptoKey;
    try {
      key = await store.getKey(header);
    } catch (err) {
      throw err instanceof JwksUnavailableError ? this.unavailable(err) : err;
    }
    const { modulusLength } = key.algorithm as { modulusLength?: unknown };
    if (modulusLength !== undefined && (typeof modulusLength !== 'number' || modulusLength < MIN_RSA_BITS)) {
      throw this.unavailable(new Error(`the provider's key ${String(header.kid)} is an RSA key under 2048 bits`));
    }
    return key;
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
   * access token of the provider (its protected header, decoded as jose decodes it; else null). Share tokens
   * (HS256), Basic credentials and garbage never go further.
   */
  private plausibleHeader(token: string): JWSHeaderParameters | null {
    // Strict compact serialisation: jose's base64url decoder tolerates '=' padding and '+' '/', so without this
    // check one genuine token has many spellings (found by the hostile suite: `<token>==` was accepted).
    if (!COMPACT_JWS.test(token)) return null;
    // Where the two libraries that check signatures read the same text differently, the token is refused by both:
    // a segment of 4n+1 characters (jose refuses it; jsonwebtoken drops the last one, so `<token>A` would verify)
    // and a header or claims starting with a byte-order mark (jose skips it, jsonwebtoken does not; JSON never has one).
    const segments = token.split('.');
    if (segments.some((segment) => segment.length % 4 === 1)) return null;
    if (segments[0].startsWith(BOM_BASE64URL) || segments[1].startsWith(BOM_BASE64URL)) return null;
    try {
      const header = decodeProtectedHeader(token);
      return typeof header.alg === 'string' && this.config.algorithms.includes(header.alg) ? header : null;
    } catch {
      return null;
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
