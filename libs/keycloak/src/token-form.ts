import type { TokenRefusal } from './access-token-claims';

/** Three non-empty base64url segments, no padding: the only form of a JWS access token. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A UTF-8 byte-order mark (EF BB BF) at the start of a base64url segment. */
const BOM_BASE64URL = '77u_';
/** RFC 6750's b64token: what an opaque bearer token may be made of. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** No provider's opaque token is this long; a longer one is refused without asking the provider. */
const MAX_OPAQUE_LENGTH = 4096;

/**
 * A strict compact JWS, the form in which a JWT access token is verified: jose's base64url decoder tolerates '='
 * padding and '+' '/', so without this check one genuine token has many spellings (found by the hostile suite:
 * `<token>==` was accepted); a segment of 4n+1 characters, or a header or claims starting with a byte-order mark (JSON
 * never has one), are refused too. Only string checks: nothing is decoded here.
 */
export function isCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  const a = token.indexOf('.');
  const b = token.indexOf('.', a + 1);
  if (a % 4 === 1 || (b - a - 1) % 4 === 1 || (token.length - b - 1) % 4 === 1) return false;
  return !token.startsWith(BOM_BASE64URL) && !token.startsWith(BOM_BASE64URL, a + 1);
}

/**
 * A token the provider may have issued as an opaque string (or as a JWE, which only it can read): RFC 6750's
 * b64token, of a sane length, and not a JWS of any spelling (those are verified, never introspected).
 */
export function isOpaqueToken(token: string): boolean {
  // No empty segment: `<jwt>.` or `<jwt>..` is a JWS of another spelling (a provider splitting on '.' drops trailing
  // empties and would answer for the JWT), never an opaque token to introspect.
  const segments = token.split('.');
  return token.length <= MAX_OPAQUE_LENGTH && B64TOKEN.test(token) && segments.length !== 3 && !segments.includes('');
}

/** The `alg` a JWS-like token's header names, if its first segment decodes to a JSON object saying one. */
function headerAlg(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    const alg = (header as { alg?: unknown } | null)?.alg;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a token is refused before any verification (read on the refusal path only, for its one debug line): an
 * algorithm not accepted (`none`, HS* as share tokens use, anything outside OIDC_ALGORITHMS), a JWS of another
 * spelling, an encrypted JWT or an opaque token without introspection, or not a token at all.
 */
export function formRefusal(token: string, algorithms: readonly string[], introspection: boolean): TokenRefusal {
  const parts = token.split('.').length;
  if (parts === 3) {
    const alg = headerAlg(token);
    if (alg === 'none') return { claim: 'alg', reason: 'is none: an unsigned token' };
    if (alg?.startsWith('HS')) {
      return { claim: 'alg', reason: `is ${alg}: a shared-secret signature (a share token?), never a provider's` };
    }
    if (alg !== undefined && !algorithms.includes(alg)) {
      return { claim: 'alg', reason: `is ${alg}, not among OIDC_ALGORITHMS` };
    }
    return { claim: 'form', reason: 'is not a strict compact JWS (padding, characters, length or byte-order mark)' };
  }
  if (introspection) {
    return {
      claim: 'form',
      reason: `is not an access token (not a JWS, and no RFC 6750 token of at most ${MAX_OPAQUE_LENGTH} characters)`,
    };
  }
  const what = parts === 5 ? 'an encrypted JWT (JWE), which only the provider can read' : 'not a JWT: an opaque token';
  return {
    claim: 'form',
    reason: `is ${what}; introspection is off (OIDC_INTROSPECTION_CLIENT_ID and OIDC_INTROSPECTION_CLIENT_SECRET)`,
  };
}
