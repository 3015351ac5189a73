import { ShareToken, TOKEN_TYPES } from '../token-types';

export interface ValidateQuery {
  dicomUid?: string | null;
  orthancId?: string | null;
  level: string;
  method: string;
  serverId?: string | null;
}

export interface Decision {
  granted: boolean;
  validity: number;
  /** Why it was refused, for metrics and debug logs (never sent to the client). */
  reason?:
    | 'no-token'
    | 'invalid'
    | 'revoked'
    | 'unknown-type'
    | 'system-level'
    | 'write-method'
    | 'no-id'
    | 'other-resource'
    | 'server-id'
    | 'expired'
    | 'protected';
}

function idsOf(token: ShareToken, key: 'dicomUid' | 'orthancId'): Set<string> | null {
  const ids = new Set<string>();
  for (const r of token.resources) {
    const v = r[key];
    if (!v) return null;
    ids.add(v);
  }
  return ids;
}

/** The methods a share token may ever be granted (SHARE_TOKEN_METHODS narrows them, never widens them). */
export const SHARE_TOKEN_METHODS = ['get', 'post'] as const;
export type ShareTokenMethod = (typeof SHARE_TOKEN_METHODS)[number];

export interface DecisionOptions {
  serverId?: string;
  cacheSeconds: number;
  now: number;
  /** The methods granted (SHARE_TOKEN_METHODS); default get and post. put and delete are never granted. */
  methods?: ReadonlySet<string>;
}

const DEFAULT_METHODS: ReadonlySet<string> = new Set(SHARE_TOKEN_METHODS);

/**
 * May this request reach this resource with this (verified) share token? PROTOCOL.md section 4:
 * a known type, not system level, a read method (`get`, and `post` unless SHARE_TOKEN_METHODS narrows it: the
 * plugin reports the DICOMweb plugin's reads as `post`), at least one id, every checkable id among the token's,
 * the configured server id, not expired, not a protected link (those open through the share page only). A grant is cached by the plugin for `validity` seconds, never beyond
 * the token's expiry. `put` and `delete` are never granted; the POST writes that arrive as `post` (modify,
 * anonymize, merge, split) are refused one layer out, by the reverse proxy's write guard.
 */
export function decideShareAccess(token: ShareToken, query: ValidateQuery, opts: DecisionOptions): Decision {
  const deny = (reason: Decision['reason']): Decision => ({ granted: false, validity: opts.cacheSeconds, reason });
  if (!(TOKEN_TYPES as readonly string[]).includes(token.type)) return deny('unknown-type');
  // A protected link opens only through the share page, which mints a child token: the link alone grants nothing.
  if (token.protected) return deny('protected');
  if (query.level === 'system') return deny('system-level');
  // Only the lowercase spellings of the granted methods (the plugin's); never put or delete, whatever the set says.
  if (!(opts.methods ?? DEFAULT_METHODS).has(query.method) || !DEFAULT_METHODS.has(query.method)) {
    return deny('write-method');
  }
  const d = query.dicomUid || null;
  const o = query.orthancId || null;
  if (!d && !o) return deny('no-id');
  let checked = false;
  if (d) {
    const uids = idsOf(token, 'dicomUid');
    if (uids) {
      if (!uids.has(d)) return deny('other-resource');
      checked = true;
    }
  }
  if (o) {
    const oids = idsOf(token, 'orthancId');
    if (oids) {
      if (!oids.has(o)) return deny('other-resource');
      checked = true;
    }
  }
  if (!checked) return deny('other-resource');
  if (opts.serverId && query.serverId !== opts.serverId) return deny('server-id');
  if (token.expiresAt) {
    const left = token.expiresAt.getTime() - opts.now;
    if (left <= 0) return deny('expired');
    return { granted: true, validity: Math.min(opts.cacheSeconds, Math.floor(left / 1000)) };
  }
  return { granted: true, validity: opts.cacheSeconds };
}
