import { SetMetadata } from '@nestjs/common';

export const ALLOW_BEARER = 'orthanc-auth:allow-bearer';

/** The route parameters of the request, for a permission that depends on them (PUT /tokens/:type). */
export type RouteParams = Readonly<Record<string, string | undefined>>;

/** A permission name, or several of which any one suffices. */
export type PermissionNames = string | readonly string[];

/** The permission(s), or a function of the route parameters giving them (undefined: none fits, refuse). */
export type BearerPermission = PermissionNames | ((params: RouteParams) => PermissionNames | undefined);

/**
 * Metadata only: besides the caller's Basic credentials, the route accepts `Authorization: Bearer <Keycloak access
 * token>` from a user whose mapped profile holds this permission, or one of these (read by the app's caller guard).
 */
export const AllowBearer = (permission: BearerPermission) => SetMetadata(ALLOW_BEARER, permission);
