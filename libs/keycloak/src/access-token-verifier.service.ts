import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { errors, jwtVerify } from 'jose';
import type { CryptoKey, JWSHeaderParameters, JWTPayload } from 'jose';
import { MetricsService } from '@app/common';
import { keycloakConfig, KeycloakConfig } from './keycloak.config';
import { AccessTokenRules, checkAccessTokenClaims, TokenRefusal } from './access-token-claims';
import { JwksKeyStore, JwksUnavailableError } from './jwks-key-store';
import { claimAt, identityFromClaims, KeycloakIdentity } from './keycloak-identity';
import { describe, KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';
import { TokenIntrospector } from './token-introspection';
import { formRefusal, isCompactJws, isOpaqueToken } from './token-form';

/** jose verifies no RS or PS signature with a smaller key. */
const MIN_RSA_BITS = 2048;
/** Users told once that their token carries no roles claim; forgotten all at once past this many. */
const MAX_USERS_TOLD = 10_000;

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
 * The one verifier of the OpenID provider's access tokens, for get-profile and for the bearer routes (whose
 * passport-jwt strategy calls `verify`): one rule set, one library, one decoding of each token.
 * - A JWT (a strict compact JWS, see token-form.ts) is verified with jose's `jwtVerify`, which decodes its header and
 *   claims once, refuses an algorithm outside OIDC_ALGORITHMS before any I/O, and takes the provider's key for the
 *   header from the one JWKS store (JwksKeyStore: a new key picked up within a cooldown, a removed one dropped within
 *   OIDC_JWKS_MAX_AGE, unknown kids refused, RSA keys of 2048 bits or more), with the clock tolerance.
 * - An opaque token (or an encrypted one, which only the provider can read) is introspected when
 *   OIDC_INTROSPECTION_CLIENT_ID is set (TokenIntrospector, RFC 7662); else refused.
 * - Then the claim rules (checkAccessTokenClaims: issuer, expiry, audience or authorized party, access-token type, ID
 *   tokens refused) and the identity the configured claims name.
 * A refused token gives null and exactly one debug line naming why (never the token); an unreachable provider gives a
 * KeycloakUnavailableError (503).
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly logger = new Logger(AccessTokenVerifier.name);
  private keys?: { issuer: string; store: JwksKeyStore };
  private readonly introspector?: TokenIntrospector;
  private readonly toldNoRoles = new Set<string>();
  private readonly getKey = (header: JWSHeaderParameters): Promise<CryptoKey> => this.keyFor(header);
  private readonly verifyOptions: { algorithms: string[]; clockTolerance: number; requiredClaims: string[] };

  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    private readonly issuer: KeycloakIssuerService,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.verifyOptions = {
      algorithms: config.algorithms,
      clockTolerance: config.clockToleranceSeconds,
      requiredClaims: ['exp'],
    };
    if (config.introspection) {
      this.introspector = new TokenIntrospector(config.introspection, config.timeoutMs, issuer, metrics);
    }
  }

  /** The identity the token names, or null when it is not a valid access token of the provider (or OIDC is off). */
  async verify(token: string): Promise<KeycloakIdentity | null> {
    if (!this.config.enabled) return this.refused({ claim: 'token', reason: 'not verified: OpenID Connect is off' });
    if (isCompactJws(token)) return this.verifyJwt(token);
    if (this.introspector && isOpaqueToken(token)) return this.verifyOpaque(token, this.introspector);
    return this.refused(formRefusal(token, this.config.algorithms, !!this.introspector));
  }

  private async verifyJwt(token: string): Promise<KeycloakIdentity | null> {
    let verified: { payload: JWTPayload; protectedHeader: JWSHeaderParameters };
    try {
      verified = await jwtVerify(token, this.getKey, this.verifyOptions);
    } catch (err) {
      if (err instanceof errors.JOSEAlgNotAllowed)
        return this.refused(formRefusal(token, this.config.algorithms, false));
      if (isTokenError(err)) return this.refused({ claim: err.code, reason: tokenErrorReason(err) });
      throw this.unavailable(err);
    }
    const { issuer } = await this.keySet();
    return this.identityOf(verified.protectedHeader, verified.payload, issuer);
  }

  private async verifyOpaque(token: string, introspector: TokenIntrospector): Promise<KeycloakIdentity | null> {
    const claims = await introspector.introspect(token);
    if (!claims) {
      return this.refused({ claim: 'active', reason: 'is false: the provider does not know it as a live token' });
    }
    const issuer = (await this.issuer.configuration()).serverMetadata().issuer;
    return this.identityOf(null, claims, issuer);
  }

  /**
   * The claim rules, then the identity the claims name (its roles said at debug; a missing roles claim at info, once
   * per user): null, with a debug line naming the rule, when it is not an access token of the provider for us.
   */
  private identityOf(header: JWSHeaderParameters | null, claims: JWTPayload, issuer: string): KeycloakIdentity | null {
    const refusal = checkAccessTokenClaims(header, claims, this.rules(issuer), nowSeconds());
    if (refusal) return this.refused(refusal);
    const identity = identityFromClaims(claims, this.config.claims)!;
    const rolesClaim = this.config.claims.roles;
    if (claimAt(claims, rolesClaim) === undefined) this.tellNoRoles(identity.userId, rolesClaim);
    this.logger.debug(
      `access token of user ${identity.userId}: roles [${identity.roles.join(', ')}] read from ${rolesClaim.join('.')}`,
    );
    return identity;
  }

  private tellNoRoles(userId: string, rolesClaim: readonly string[]): void {
    if (this.toldNoRoles.has(userId)) return;
    if (this.toldNoRoles.size >= MAX_USERS_TOLD) this.toldNoRoles.clear();
    this.toldNoRoles.add(userId);
    this.logger.log(
      `the access token of user ${userId} carries no ${rolesClaim.join('.')} claim: no roles, so no permissions. ` +
        "If the provider puts the users' roles elsewhere, OIDC_ROLES_CLAIM names where (said once per user)",
    );
  }

  /**
   * The provider's verification key for a token's protected header, from the one key set. Rejects with jose's JWKS
   * errors when no key matches, with a KeycloakUnavailableError when the provider's keys cannot be had or the matching
   * one is an RSA key shorter than 2048 bits (which jose refuses to verify with: the provider's misconfiguration, not
   * the token's fault).
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
