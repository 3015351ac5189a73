import { isOrthancWrite } from './orthanc-write';
import { credentialCandidates, lenientDecode } from './request-credentials';

/** The headers the proxy adds to its subrequest: the original request's method and URI (with its query). */
const ORIGINAL_METHOD_HEADER = 'x-original-method';
const ORIGINAL_URI_HEADER = 'x-original-uri';

/** The guard's own inputs: every other header of the subrequest is the original request's, and is looked at. */
const NOT_CREDENTIALS: ReadonlySet<string> = new Set([ORIGINAL_METHOD_HEADER, ORIGINAL_URI_HEADER]);

export type WriteGuardInput = { ok: true; method: string; uri: string } | { ok: false; error: string };

/**
 * The original method and URI from the proxy's headers, each present exactly once (a client's own copy next to the
 * proxy's would be ambiguous: refused, so that a misconfigured proxy fails closed).
 */
export function writeGuardInput(rawHeaders: readonly string[]): WriteGuardInput {
  let method: string | undefined;
  let uri: string | undefined;
  let methods = 0;
  let uris = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name === ORIGINAL_METHOD_HEADER) {
      methods++;
      method = rawHeaders[i + 1].trim();
    } else if (name === ORIGINAL_URI_HEADER) {
      uris++;
      uri = rawHeaders[i + 1].trim();
    }
  }
  if (methods !== 1 || !method || !/^[A-Za-z]+$/.test(method)) {
    return { ok: false, error: 'X-Original-Method must be given once: the original request method ($request_method)' };
  }
  if (uris !== 1 || !uri || !(uri.startsWith('/') || /^https?:\/\//i.test(uri))) {
    return { ok: false, error: 'X-Original-URI must be given once: the original request URI ($request_uri)' };
  }
  return { ok: true, method, uri };
}

/**
 * Orthanc turns a request carrying `X-HTTP-Method-Override` (whatever its method), or a GET with a `_method`
 * argument, into the PUT or DELETE they name (its HttpServer's method extraction): such a request is judged a write,
 * whatever its own method. Names compared without case, the argument's name decoded (`%5Fmethod`).
 */
function overridesMethod(rawHeaders: readonly string[], uri: string): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'x-http-method-override') return true;
  }
  const q = uri.indexOf('?');
  if (q < 0) return false;
  return uri
    .slice(q + 1)
    .split(/[&;]/)
    .some((pair) => {
      const name = lenientDecode(pair.split('=', 1)[0]);
      return name.trim().toLowerCase() === '_method';
    });
}

export interface WriteGuardDecision {
  allowed: boolean;
  /** read: not a write; no-share-token: a write without share token (the plugin decides); share-token-write. */
  reason: 'read' | 'no-share-token' | 'share-token-write';
}

/**
 * May this request go on to Orthanc? Refused only when it is a write (isOrthancWrite) and one of its credentials is
 * a share token of this service (`isShareToken`: signed with the current or a previous key, expired or revoked
 * ones included). Everything else is allowed: users and api-keys go on to the plugin's own checks. Reads cost no
 * credential lookup at all.
 */
export function decideWriteGuard(
  input: { method: string; uri: string; rawHeaders: readonly string[] },
  isShareToken: (raw: string) => boolean,
): WriteGuardDecision {
  const write = overridesMethod(input.rawHeaders, input.uri) || isOrthancWrite(input.method, input.uri);
  if (!write) return { allowed: true, reason: 'read' };
  const candidates = credentialCandidates(input.rawHeaders, input.uri, NOT_CREDENTIALS);
  if (candidates.overflow || candidates.values.some(isShareToken)) {
    return { allowed: false, reason: 'share-token-write' };
  }
  return { allowed: true, reason: 'no-share-token' };
}
