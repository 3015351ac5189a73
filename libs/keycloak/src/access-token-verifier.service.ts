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
import type { JWSHeaderParameters, JWTVerifyGetKey } from 'jose';
import { keycloakConfig, KeycloakConfig } from './keycloak.config';
import { AccessTokenRules, checkAccessTokenClaims, TokenRefusal } from './access-token-claims';
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
 * restart) with an asymmetric algorithm allow-list, then the claim rules (checkAccessTokenClaims, also callable on
 * its own): issuer, expiry with a clock tolerance, audience or authorized party, access-token type (ID tokens
 * refused), a user named. A token that fails gives null, with a debug line naming the check (never the token); an
 * unreachable provider gives a KeycloakUnavailableError (503).
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

  /** The identity the token names, or null when it is not a valid access token of the provider (or OIDC is off). */
  async verify(token: string): Promise<KeycloakIdentity | null> {
    if (!this.config.enabled || !this.plausible(token)) return null;
    const { issuer, remote } = await this.keySet();
    let verified: { payload: JWTPayload; protectedHeader: JWSHeaderParameters };
    try {
      verified = await this.check(token, remote);
    } catch (err) {
      if (isTokenError(err)) return this.refused({ claim: err.code, reason: tokenErrorReason(err) });
      // The provider could not be asked (down, timeout, bad answer). Keys fetched before still decide, even past
      // their freshness; only a token whose key was never seen needs the provider: 503.
      const stale = remote.jwks();
      if (!stale) throw this.unavailable(err);
      try {
        verified = await this.check(token, createLocalJWKSet(stale));
      } catch (staleErr) {
        if (isTokenError(staleErr) && staleErr.code !== errors.JWKSNoMatchingKey.code) {
          return this.refused({ claim: staleErr.code, reason: tokenErrorReason(staleErr) });
        }
        throw this.unavailable(err);
      }
      if (Date.now() - this.staleWarnedAt > 60_000) {
        this.staleWarnedAt = Date.now();
        this.logger.warn(
          `the OpenID provider's key set could not be refreshed (${describe(err)}); verifying with the keys fetched before`,
        );
      }
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

  /** The claim rules on a token whose signature was verified: null when it is an access token for this service. */
  async checkClaims(header: JWSHeaderParameters, payload: JWTPayload): Promise<TokenRefusal | null> {
    const { issuer } = await this.keySet();
    return checkAccessTokenClaims(header, payload, this.rules(issuer), nowSeconds());
  }

  /** Claims -> identity with the configured claim names (null: the token names no user). */
  identity(payload: JWTPayload): KeycloakIdentity | null {
    return identityFromClaims(payload, this.config.claims);
  }

  /** Signature (allowed algorithms) and the JWT's structure and time claims, as jose checks them. */
  private check(
    token: string,
    getKey: JWTVerifyGetKey,
  ): Promise<{ payload: JWTPayload; protectedHeader: JWSHeaderParameters }> {
    return jwtVerify(token, getKey, {
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
  }

  private rules(issuer: string): AccessTokenRules {
    return {
      issuer,
      audiences: this.config.audiences,
      authorizedParties: this.config.authorizedParties,
      accessTokenType: this.config.accessTokenType,
      clockToleranceSeconds: this.config.clockToleranceSeconds,
      userIdClaim: this.config.claims.userId,
    };
  }

  private refused(refusal: TokenRefusal): null {
    this.logger.debug(`access token refused: ${refusal.claim} ${refusal.reason}`);
    return null;
  }

  private unavailable(err: unknown): KeycloakUnavailableError {
    this.logger.error(`the OpenID provider's key set could not be used: ${describe(err)}`);
    return new KeycloakUnavailableError('signing keys unavailable', err);
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
