import type { JWTPayload } from 'jose';

/** Who a verified Keycloak access token names, and what its claims say about roles and groups. */
export interface KeycloakIdentity {
  userId: string;
  name: string;
  roles: string[];
  groups: string[] | null;
  /** Expiry (seconds since the epoch) of the token, when it has one. */
  expiresAt: number | null;
}

function stringList(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter((v): v is string => typeof v === 'string');
}

/** Follows a dotted claim path (own properties only): `realm_access.roles`, `resource_access.orthanc.roles`. */
export function claimAt(payload: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = payload;
  for (const key of path) {
    if (!node || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Claims -> identity: name = `name`, else `preferred_username`, else the subject; roles from the configured claim
 * path (absent -> none); groups from `groups` (absent -> null). A token without a subject names nobody: null.
 */
export function identityFromClaims(payload: JWTPayload, rolesClaim: readonly string[]): KeycloakIdentity | null {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '') return null;
  const name = [payload.name, payload.preferred_username].find((v): v is string => typeof v === 'string' && v !== '');
  return {
    userId: sub,
    name: name ?? sub,
    roles: stringList(claimAt(payload, rolesClaim)) ?? [],
    groups: stringList(payload.groups),
    expiresAt: typeof payload.exp === 'number' ? payload.exp : null,
  };
}
