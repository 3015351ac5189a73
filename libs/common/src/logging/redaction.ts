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
/** Linear: `\s+` and the value's class are disjoint, so a failed attempt never backtracks past its own spaces. */
const AUTH_VALUE = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+/gi;
/**
 * A run of the characters a JWT is made of. One class, so each character is read once: every JWT-shaped string lies
 * within one run, and the runs are searched by {@link blankJwtsInRun} in one pass.
 */
const JWT_RUN = /[A-Za-z0-9_.-]+/g;

/**
 * Blanks what `/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\/g` matches (a JWT: header, payload,
 * signature), in linear time. That regex, run on a line, retried at every `eyJ` and backtracked to the end of the
 * run each time: `GET /eyJeyJeyJ...` (16 KB) held the event loop ~90 ms per access line. Same matches, same order:
 * split the run on dots; a segment whose first `eyJ` has 4+ characters after it, followed by a segment of 4+
 * characters and a third one (possibly empty), is a JWT from that `eyJ` to the end of the third segment.
 */
function blankJwtsInRun(run: string): string {
  if (run.indexOf('eyJ') < 0 || run.indexOf('.') < 0) return run;
  const segments = run.split('.');
  const out: string[] = [];
  let i = 0;
  while (i < segments.length) {
    const segment = segments[i];
    const at = segment.indexOf('eyJ');
    if (at >= 0 && segment.length - at >= 7 && i + 2 < segments.length && segments[i + 1].length >= 4) {
      out.push(segment.slice(0, at) + REDACTED);
      i += 3;
    } else {
      out.push(segment);
      i += 1;
    }
  }
  return out.join('.');
}

function blankJwts(line: string): string {
  return line.indexOf('eyJ') < 0 ? line : line.replace(JWT_RUN, blankJwtsInRun);
}

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
    const out = byValue ? line.replace(byValue, REDACTED) : line;
    return blankJwts(out.replace(AUTH_VALUE, `$1 ${REDACTED}`));
  };
}
