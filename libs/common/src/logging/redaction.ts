/**
 * Secrets never reach a log line. Three layers, from the most to the least precise:
 * - pino's `redact` paths for structured fields (headers and body fields that hold credentials), should any code
 *   log a request, its headers or a body;
 * - the exact values of the configured secrets (SECRET_KEY, callers' passwords, SMTP and Keycloak client secrets,
 *   the PostgreSQL password...), replaced wherever they appear in a line, messages and error texts included;
 * - patterns: an Authorization value (`Basic ...`, `Bearer ...`) and anything shaped like a JWT (share tokens,
 *   Keycloak tokens) in free text.
 */
export const REDACTED = '[redacted]';

const SECRET_FIELDS = [
  'password',
  'secret',
  'token',
  'token-value',
  'tokenValue',
  'api-key',
  'apiKey',
  'clientSecret',
  'client_secret',
  'secretKey',
  'access_token',
  'refresh_token',
];
const SECRET_HEADERS = ['authorization', 'token', 'api-key', 'cookie', 'set-cookie', 'proxy-authorization'];

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `res.headers["${h}"]`]),
  ...SECRET_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`, `*.*["${f}"]`]),
  'req.body',
  'body',
];

/** Shorter values are not scrubbed by value (they would blank ordinary words); patterns still apply. */
const MIN_SECRET_LENGTH = 4;
const AUTH_VALUE = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+/gi;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A function that blanks the given secret values and the credential patterns out of a serialised log line. */
export function secretScrubber(secrets: Iterable<string | undefined | null>): (line: string) => string {
  const variants = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) continue;
    variants.add(s);
    // As it appears inside a JSON string (the line is JSON), and URL-encoded (in a logged URL).
    variants.add(JSON.stringify(s).slice(1, -1));
    variants.add(encodeURIComponent(s));
  }
  // Longest first, so that a secret containing another one is blanked whole.
  const sorted = [...variants].sort((a, b) => b.length - a.length);
  const byValue = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
  return (line: string) => {
    let out = byValue ? line.replace(byValue, REDACTED) : line;
    out = out.replace(AUTH_VALUE, `$1 ${REDACTED}`).replace(JWT_LIKE, REDACTED);
    return out;
  };
}
