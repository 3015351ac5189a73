import type { JWTPayload, JWSHeaderParameters } from 'jose';
import { claimAt } from './keycloak-identity';

/** What an access token must satisfy here besides its signature: the provider's issuer and the site's settings. */
export interface AccessTokenRules {
  issuer: string;
  /** One of these must be in `aud`; null: not checked. */
  audiences: readonly string[] | null;
  /** `azp` and `client_id`, those present, must be among these (and one present); null: not checked. */
  authorizedParties: readonly string[] | null;
  /** The provider types its access tokens `at+jwt` (RFC 9068): a token without that header is not one. */
  requireAtJwt: boolean;
  clockToleranceSeconds: number;
  userIdClaim: readonly string[];
}

/** Why a token is not an access token of the provider for this service: the claim that failed, and how. */
export interface TokenRefusal {
  claim: string;
  reason: string;
}

/** RFC 9068 media types of a JWT access token (the `typ` header, compared case-insensitively). */
const AT_JWT = new Set(['at+jwt', 'application/at+jwt']);
/** Claims that only ID tokens carry (OpenID Connect Core 3.1.3.6, 3.3.2.11; FAPI's s_hash). */
const ID_TOKEN_ONLY = ['at_hash', 'c_hash', 's_hash'];

const refusal = (claim: string, reason: string): TokenRefusal => ({ claim, reason });

/** RFC 7662 `token_type` values of a bearer access token (compared case-insensitively). */
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'access_token']);

/**
 * The claim rules of an access token, on a token whose signature was verified (`header` its protected header) or
 * that the provider's introspection endpoint says is active (`header` null: RFC 7662 answer, see below): typed as an
 * access token (never an ID, refresh or logout token), issued by the provider, in its validity window (with the clock
 * tolerance), for this service (audience, authorized party) and naming a user. Null when it passes; else the first
 * rule it fails.
 *
 * Written here rather than left to jose, so that a JWT and an introspected token are held to the one rule set: claims
 * that are a JSON object, no `crit` extension (jose understands only `b64`, which a JWT may not turn off: no access
 * token needs one), `iat` a number.
 *
 * ID tokens are refused wherever their audience would match: an ID-token-only claim (`at_hash`, `c_hash`, `s_hash`),
 * a `nonce` on a token that does not declare itself an access token (Keycloak before 25 copies the login's nonce into
 * its access tokens, which say `typ: Bearer`), any `typ` but `Bearer` in the payload (Keycloak: ID, Refresh, Logout...)
 * or but JWT/at+jwt in the header, and, with a provider that types its access tokens `at+jwt`, a token without it.
 *
 * An introspection answer has no header: it must say it is a bearer access token (`token_type` Bearer or
 * access_token, or Keycloak's `typ: Bearer`: a refresh token, which some providers introspect too, says neither);
 * `iss` and `exp` are optional there (RFC 7662: the provider answering is the issuer), checked when given.
 */
export function checkAccessTokenClaims(
  header: JWSHeaderParameters | null,
  payload: JWTPayload,
  rules: AccessTokenRules,
  nowSeconds: number,
): TokenRefusal | null {
  if (!isClaimsObject(payload)) return refusal('claims', 'are not a JSON object');
  const typedAccessToken = header ? checkHeader(header, rules) : introspectedType(payload);
  if (typeof typedAccessToken !== 'boolean') return typedAccessToken;
  const typ = payload.typ;
  if (typ !== undefined && (typeof typ !== 'string' || typ.toLowerCase() !== 'bearer')) {
    return refusal('typ', 'is not Bearer (an ID, refresh or logout token)');
  }
  const declaredAccessToken = typedAccessToken || typ !== undefined;
  for (const claim of ID_TOKEN_ONLY) {
    if (Object.hasOwn(payload, claim)) return refusal(claim, 'is an ID token claim');
  }
  if (Object.hasOwn(payload, 'nonce') && !declaredAccessToken) {
    return refusal('nonce', 'is an ID token claim (and the token is not typed as an access token)');
  }

  const introspected = header === null;
  if (payload.iss !== rules.issuer && !(introspected && payload.iss === undefined)) {
    return refusal('iss', 'is not the provider');
  }
  const tolerance = rules.clockToleranceSeconds;
  if (payload.exp === undefined && introspected) {
    // RFC 7662: an active token without exp; the introspection cache bounds how long the answer is reused.
  } else if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) {
    return refusal('exp', 'is missing');
  } else if (payload.exp <= nowSeconds - tolerance) {
    return refusal('exp', 'is past');
  }
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > nowSeconds + tolerance)) {
    return refusal('nbf', 'is in the future');
  }
  if (payload.iat !== undefined && typeof payload.iat !== 'number') return refusal('iat', 'is not a number');

  if (rules.audiences) {
    const aud = payload.aud;
    const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!given.some((a) => typeof a === 'string' && rules.audiences!.includes(a))) {
      return refusal('aud', 'holds none of OIDC_AUDIENCE');
    }
  }
  if (rules.authorizedParties) {
    const parties = [payload.azp, payload.client_id].filter((v) => v !== undefined);
    if (!parties.length) return refusal('azp/client_id', 'is missing');
    if (parties.some((p) => typeof p !== 'string' || !rules.authorizedParties!.includes(p))) {
      return refusal('azp/client_id', 'is not in OIDC_AUTHORIZED_PARTIES');
    }
  }
  const userId = claimAt(payload, rules.userIdClaim);
  if (typeof userId !== 'string' || userId === '') return refusal(rules.userIdClaim.join('.'), 'names no user');
  return null;
}

/** A JWT's header rules: whether it is typed as an access token (`at+jwt`), or why it is refused. */
function checkHeader(header: JWSHeaderParameters, rules: AccessTokenRules): boolean | TokenRefusal {
  if (header.crit !== undefined) return refusal('crit (header)', 'names an extension, which no access token needs');
  const headerTyp = header.typ;
  const typedAccessToken = typeof headerTyp === 'string' && AT_JWT.has(headerTyp.toLowerCase());
  if (
    headerTyp !== undefined &&
    !typedAccessToken &&
    !(typeof headerTyp === 'string' && headerTyp.toLowerCase() === 'jwt')
  ) {
    return refusal('typ (header)', 'is neither JWT nor at+jwt');
  }
  if (rules.requireAtJwt && !typedAccessToken) {
    return refusal(
      'typ (header)',
      'is not at+jwt, which the provider marks its access tokens with (OIDC_REQUIRE_AT_JWT)',
    );
  }
  return typedAccessToken;
}

/** An introspection answer's type: a bearer access token (true), or why it is refused. */
function introspectedType(payload: JWTPayload): boolean | TokenRefusal {
  const tokenType = payload.token_type;
  if (typeof tokenType === 'string' && ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase())) return true;
  if (tokenType === undefined && typeof payload.typ === 'string' && payload.typ.toLowerCase() === 'bearer') return true;
  return refusal('token_type', 'is not Bearer: the introspected token is not a bearer access token');
}

/** A JSON object (what JSON.parse gives for `{...}`), not an array, a string, a number or null. */
function isClaimsObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
