import type { Permission } from './permissions';

/** What one role grants: its permissions and the labels its holders may see. */
export interface RoleGrant {
  permissions: Permission[];
  'authorized-labels': string[];
}

/** The roles configuration edited in OE2 (PROTOCOL.md section 8), in its canonical kebab-case form. */
export interface RolesConfig {
  roles: Record<string, RoleGrant>;
  'available-labels': string[];
}

/** What a set of roles adds up to. */
export interface RolesProfile {
  permissions: Permission[];
  authorizedLabels: string[];
}

/**
 * Roles -> permissions (PROTOCOL.md section 6): for each of the user's roles present in the configuration, in the
 * user's order, append its permissions and its authorized-labels, skipping duplicates. Unknown roles add nothing.
 * Pure: no I/O, no Nest.
 */
export function profileFromRoles(userRoles: readonly string[], config: RolesConfig): RolesProfile {
  const permissions: Permission[] = [];
  const authorizedLabels: string[] = [];
  const seenPermissions = new Set<string>();
  const seenLabels = new Set<string>();
  for (const role of userRoles) {
    if (!Object.prototype.hasOwnProperty.call(config.roles, role)) continue;
    const grant = config.roles[role];
    for (const permission of grant.permissions) {
      if (seenPermissions.has(permission)) continue;
      seenPermissions.add(permission);
      permissions.push(permission);
    }
    for (const label of grant['authorized-labels']) {
      if (seenLabels.has(label)) continue;
      seenLabels.add(label);
      authorizedLabels.push(label);
    }
  }
  return { permissions, authorizedLabels };
}
