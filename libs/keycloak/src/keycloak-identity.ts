import type { JWTPayload } from 'jose';
import type { ClaimMapping } from './keycloak.config';

/** Who a verified access token names, and what its claims say about roles and groups. */
export interface KeycloakIdentity {
  userId: string;
  name: string;
  roles: string[];
  groups: string[] | null;
  /** Expiry (seconds since the epoch) of the token, when it has one. */
  expiresAt: number | null;
}

/** Keycloak's claims, the defaults: `sub`, `name` then `preferred_username`, `realm_access.roles`, `groups`. */
export const DEFAULT_CLAIM_MAPPING: ClaimMapping = {
  userId: ['sub'],
  names: [['name'], ['preferred_username']],
  roles: ['realm_access', 'roles'],
  groups: ['groups'],
};

/**
 * A list claim: an array (its strings kept, other entries ignored) or one string of names separated by whitespace,
 * commas or semicolons, as providers that map a multi-valued user property into a token write it
 * (`"admin-role,doctor-role"`, `"admin-role; doctor-role"`). Anything else, or no claim: null.
 */
export function nameList(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,;]+/).filter(Boolean);
  return null;
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

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Claims -> identity: the user id from its claim (none -> the token names nobody: null); the name from the first
 * non-empty name claim, else the user id; roles from their claim path (absent -> none); groups from theirs (absent ->
 * null).
 */
export function identityFromClaims(
  payload: JWTPayload,
  mapping: ClaimMapping = DEFAULT_CLAIM_MAPPING,
): KeycloakIdentity | null {
  const userId = claimAt(payload, mapping.userId);
  if (!nonEmpty(userId)) return null;
  const name = mapping.names.map((path) => claimAt(payload, path)).find(nonEmpty);
  return {
    userId,
    name: name ?? userId,
    roles: nameList(claimAt(payload, mapping.roles)) ?? [],
    groups: nameList(claimAt(payload, mapping.groups)),
    expiresAt: typeof payload.exp === 'number' ? payload.exp : null,
  };
}
