import type { RolesConfig } from './role-mapping';

/**
 * Where the identity provider's realm roles come from (the Keycloak admin client implements it). The list it gives
 * already leaves out composite roles, `uma_authorization`, `offline_access` and `default-roles-*`.
 */
export interface RealmRolesSource {
  listRealmRoles(): Promise<string[]>;
}

/**
 * Injection token of an optional {@link RealmRolesSource}. When no provider is registered, or it resolves to
 * null/undefined (Keycloak disabled), GET /settings/roles serves the file alone.
 */
export const REALM_ROLES_SOURCE = Symbol('REALM_ROLES_SOURCE');

/** Roles Keycloak creates by itself, never worth configuring (left out even if a source lets them through). */
export function isBuiltInRealmRole(role: string): boolean {
  return role === 'uma_authorization' || role === 'offline_access' || role.startsWith('default-roles-');
}

/**
 * The configuration as the roles editor should show it: configured roles the realm still has (in the file's order),
 * then the realm roles missing from the file with empty lists (in the realm's order). Pure; the stored
 * configuration is not changed.
 */
export function reconcileRoles(config: RolesConfig, realmRoles: readonly string[]): RolesConfig {
  const realm = new Set(realmRoles.filter((r) => !isBuiltInRealmRole(r)));
  const kept = Object.entries(config.roles)
    .filter(([name]) => realm.has(name))
    .map(([name, grant]): [string, RolesConfig['roles'][string]] => [name, structuredClone(grant)]);
  const known = new Set(kept.map(([name]) => name));
  const added: [string, RolesConfig['roles'][string]][] = [];
  for (const name of realm) {
    if (known.has(name)) continue;
    known.add(name);
    added.push([name, { permissions: [], 'authorized-labels': [] }]);
  }
  return {
    roles: Object.fromEntries([...kept, ...added]),
    'available-labels': [...config['available-labels']],
  };
}
