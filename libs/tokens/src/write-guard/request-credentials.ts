/**
 * The values of a request that may be a share token, for the write guard: the JWT-shaped values of its headers
 * (`token`, `api-key`, `Authorization: Bearer ...`, or any other name a site gave the plugin in TokenHttpHeaders)
 * and of its query arguments (`?token=`, or any other TokenGetArguments name). Every header and every argument is
 * looked at, every occurrence of each, so that no renamed, repeated or comma-joined credential slips through; a
 * leading `Bearer ` is dropped. Basic credentials, cookies and the like are not JWT-shaped and are skipped.
 *
 * Any occurrence of a token counts as one, whatever surrounds it: a JWT (`eyJ...`, the start of every JSON header)
 * anywhere in a value or in the query string, as sent and percent-decoded, is a candidate too. So
 * `?token=<tok>%00`, `?token=<tok>;x`, `?x=#&token=<tok>`, `?TOKEN=<tok>` are judged as carrying `<tok>`: what Orthanc
 * (its GET arguments) and the plugin make of such a value is theirs to decide, the guard does not guess it.
 */

/** Three base64url parts: the shape of a JWT (share tokens, and user tokens, which the signature check tells apart). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^bearer\s+/i;
/** A JWT inside a longer text: its JSON header starts with `{"`, which base64url writes `eyJ`. */
const EMBEDDED_JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

/** At most this many candidates are collected; beyond it the request is judged as carrying a share token. */
export const MAX_CREDENTIAL_CANDIDATES = 32;

export interface CredentialCandidates {
  /** Distinct JWT-shaped values, in the order met. */
  values: string[];
  /** More than MAX_CREDENTIAL_CANDIDATES were met: the rest were not collected. */
  overflow: boolean;
}

export function credentialCandidates(
  rawHeaders: readonly string[],
  uri: string,
  skipHeaders: ReadonlySet<string> = new Set(),
): CredentialCandidates {
  const found = new Set<string>();
  let overflow = false;
  const collect = (v: string) => {
    if (found.has(v)) return;
    if (found.size >= MAX_CREDENTIAL_CANDIDATES) overflow = true;
    else found.add(v);
  };
  const add = (value: string) => {
    const v = value.trim().replace(BEARER, '');
    if (JWT_SHAPE.test(v)) collect(v);
    else addEmbedded(v);
  };
  const addEmbedded = (text: string) => {
    if (text.includes('eyJ')) for (const m of text.matchAll(EMBEDDED_JWT)) collect(m[0]);
  };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (skipHeaders.has(rawHeaders[i].toLowerCase())) continue;
    const value = rawHeaders[i + 1];
    if (value.includes(',')) for (const part of value.split(',')) add(part);
    else add(value);
  }
  for (const value of queryValues(uri)) add(value);
  // The whole query, fragment included (a client may send `#` raw; Orthanc does not cut there), and decoded.
  const q = uri.indexOf('?');
  if (q >= 0) {
    const query = uri.slice(q + 1);
    addEmbedded(query);
    addEmbedded(lenientDecode(query));
  }
  return { values: [...found], overflow };
}

/** Percent-escapes and `+` decoded where they are well-formed, the rest left as sent (never throws). */
export function lenientDecode(text: string): string {
  return text
    .replace(/\+/g, ' ')
    .replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Every argument value of a URI's query string, as sent and percent-decoded (`+` as a space). */
export function queryValues(uri: string): string[] {
  const q = uri.indexOf('?');
  if (q < 0) return [];
  const h = uri.indexOf('#', q);
  const query = uri.slice(q + 1, h < 0 ? uri.length : h);
  const values: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const raw = pair.slice(eq + 1);
    values.push(raw);
    if (raw.includes('%') || raw.includes('+')) {
      try {
        values.push(decodeURIComponent(raw.replace(/\+/g, ' ')));
      } catch {
        // a malformed escape: the value as sent was collected
      }
    }
  }
  return values;
}
