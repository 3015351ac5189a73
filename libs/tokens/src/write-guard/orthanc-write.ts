/**
 * Is this request to Orthanc a write? The reverse proxy's write guard (docs/PROTOCOL.md section 12) refuses writes
 * that carry a share token. The rule is stricter than "PUT and DELETE" because the authorization plugin reports
 * POST writes under a resource (`/studies/{id}/modify`, `anonymize`, `merge`, `split`...) to validate exactly as the
 * DICOMweb plugin's reads (`post` at study level), and the validate service cannot tell them apart.
 *
 * - GET, HEAD and OPTIONS are reads; every other method but POST (PUT, DELETE, PATCH...) is a write.
 * - A POST is a read only when its path ends with one of the read-only POST routes of Orthanc:
 *   `/tools/find`, `/tools/lookup`, `/tools/create-archive`, `/tools/create-media`, `/tools/create-media-extended`,
 *   and `/{patients|studies|series|instances}/{id}/archive|media`. Every other POST is a write: modify, anonymize,
 *   merge, split, reconstruct, export..., the `/tools/bulk-*` routes, and STOW-RS under `/dicom-web/` (the plugin
 *   validates `POST /dicom-web/studies?StudyInstanceUID=...` or `/dicom-web/studies/{uid}` as `post` on that study).
 *
 * The path is judged by its end, whatever prefix the proxy serves Orthanc under (`/orthanc/`, `/shares/`), with
 * empty and `.` segments dropped and `..` resolved as nginx does before passing it on; the query string is ignored.
 * A read POST's path holds only unreserved characters (letters, digits, `-._~`) and `/`: a percent-escape, a `#` or
 * any other character makes it a write (no viewer escapes `/tools/find`; an escape is how a write would dress up,
 * e.g. `/studies/{id}/modify%3F/tools/find`, which Orthanc routes to `modify?`, not to `find`). This is judged here
 * whatever the proxy decided: an nginx `map` that let such a request skip the guard is the proxy's mistake alone.
 */

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const LEVELS: ReadonlySet<string> = new Set(['patients', 'studies', 'series', 'instances']);
const READ_TOOLS: ReadonlySet<string> = new Set([
  'find',
  'lookup',
  'create-archive',
  'create-media',
  'create-media-extended',
]);
const READ_RESOURCE_ACTIONS: ReadonlySet<string> = new Set(['archive', 'media']);
/** Unreserved characters and `/`: the only ones a read POST's path may hold. */
const PLAIN_PATH = /^[A-Za-z0-9._~/-]*$/;

export function isOrthancWrite(method: string, uri: string): boolean {
  if (READ_METHODS.has(method)) return false;
  if (method !== 'POST') return true;
  const path = pathOf(uri);
  return !PLAIN_PATH.test(path) || !isReadPost(pathSegments(path));
}

function isReadPost(segments: string[]): boolean {
  const n = segments.length;
  if (n >= 2 && segments[n - 2] === 'tools' && READ_TOOLS.has(segments[n - 1])) return true;
  return n >= 3 && LEVELS.has(segments[n - 3]) && READ_RESOURCE_ACTIONS.has(segments[n - 1]);
}

/**
 * The path of a request URI (`/a/b?x=1` → `/a/b`); an absolute URI's path too. A `#` is part of the path: no client
 * sends a fragment, and what a server makes of a raw `#` varies (nginx cuts its `$uri` there, Orthanc does not), so a
 * POST path holding one is never a plain read.
 */
export function pathOf(uri: string): string {
  const q = uri.indexOf('?');
  let path = q >= 0 ? uri.slice(0, q) : uri;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(path);
  if (scheme) path = path.slice(scheme[0].length) || '/';
  return path;
}

/** The segments of a path: empty and `.` segments dropped, `..` removing the one before (never above the root). */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out;
}
