import { isPermission, Permission, PERMISSIONS } from './permissions';

/** The profile given to a request without a usable user token (PROTOCOL.md section 6). */
export interface AnonymousProfile {
  name: string;
  permissions: Permission[];
  authorizedLabels: string[];
  /** Seconds the plugin may cache it; always > 0 (0 would mean "forever" to the plugin). */
  validity: number;
  /** `user-id` as the file writes it (null when it does not set it). */
  userId: string | null;
  /** `groups` as the file writes it (`[]` stays `[]`); null when it does not set it. */
  groups: string[] | null;
}

/** Injection token of the {@link AnonymousProfile} loaded at start-up. */
export const ANONYMOUS_PROFILE = Symbol('ANONYMOUS_PROFILE');

export const DEFAULT_ANONYMOUS_PROFILE: Readonly<AnonymousProfile> = Object.freeze({
  name: 'Anonymous',
  permissions: [],
  authorizedLabels: [],
  validity: 60,
  userId: null,
  groups: null,
});

/** Bound on validity: a day; the plugin re-asks after it. */
const MAX_ANONYMOUS_VALIDITY = 24 * 3600;

/** The value of a key written in kebab-case or snake_case (not both); undefined when the file does not set it. */
function eitherSpelling(v: Record<string, unknown>, kebab: string, snake: string): unknown {
  const hasKebab = Object.prototype.hasOwnProperty.call(v, kebab);
  const hasSnake = Object.prototype.hasOwnProperty.call(v, snake);
  if (hasKebab && hasSnake) throw new Error(`give only one of "${kebab}" and "${snake}"`);
  return hasSnake ? v[snake] : hasKebab ? v[kebab] : undefined;
}

/**
 * Checks the content of ANONYMOUS_PROFILE_FILE_PATH: `{"name", "permissions", "authorized-labels", "validity"}`
 * and optionally `"user-id"` and `"groups"` (`authorized_labels`, `user_id` accepted). get-profile answers every
 * field the file sets as written (`"groups": []` stays `[]`). Throws an Error whose message names the field.
 */
export function validateAnonymousProfile(value: unknown): AnonymousProfile {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('content must be a JSON object {"name", "permissions", "authorized-labels", "validity"}');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name.trim() === '') throw new Error('"name" must be a non-empty string');

  const permissionsIn = v.permissions ?? [];
  if (!Array.isArray(permissionsIn)) throw new Error('"permissions" must be an array of permissions');
  const permissions = permissionsIn.map((p, i) => {
    if (!isPermission(p)) {
      throw new Error(
        `"permissions"[${i}] is the unknown permission ${JSON.stringify(p)}; known permissions: ${PERMISSIONS.join(', ')}`,
      );
    }
    return p;
  });

  const labelsIn = eitherSpelling(v, 'authorized-labels', 'authorized_labels') ?? [];
  if (!Array.isArray(labelsIn)) throw new Error('"authorized-labels" must be an array of strings');
  const authorizedLabels = labelsIn.map((l, i) => {
    if (typeof l !== 'string' || l === '') throw new Error(`"authorized-labels"[${i}] must be a non-empty string`);
    return l;
  });

  const validity = v.validity;
  if (
    typeof validity !== 'number' ||
    !Number.isInteger(validity) ||
    validity <= 0 ||
    validity > MAX_ANONYMOUS_VALIDITY
  ) {
    throw new Error(
      `"validity" must be an integer number of seconds from 1 to ${MAX_ANONYMOUS_VALIDITY} (0 would mean "cache forever" to the plugin)`,
    );
  }

  const userId = eitherSpelling(v, 'user-id', 'user_id') ?? null;
  if (userId !== null && typeof userId !== 'string') throw new Error('"user-id" must be a string or null');

  const groupsIn = v.groups ?? null;
  if (groupsIn !== null && !Array.isArray(groupsIn)) throw new Error('"groups" must be an array of strings or null');
  const groups =
    groupsIn === null
      ? null
      : groupsIn.map((g: unknown, i: number) => {
          if (typeof g !== 'string' || g === '') throw new Error(`"groups"[${i}] must be a non-empty string`);
          return g;
        });
  return { name: v.name, permissions, authorizedLabels, validity, userId, groups };
}
