// The public surface of @app/permissions: what the app and the other libs import, by name (knip checks that each is used).
export { PERMISSIONS } from './permissions';
export type { Permission } from './permissions';
export { profileFromRoles } from './role-mapping';
export type { RolesConfig } from './role-mapping';
export { serializeRolesConfig, validateRolesConfig } from './roles-config';
export { ANONYMOUS_PROFILE } from './anonymous-profile';
export type { AnonymousProfile } from './anonymous-profile';
export { REALM_ROLES_SOURCE, reconcileRoles } from './realm-roles';
export type { RealmRolesSource } from './realm-roles';
export { permissionsConfig } from './permissions.config';
export type { PermissionsConfig } from './permissions.config';
export { RolesStore } from './roles.store';
export { PermissionsModule } from './permissions.module';
