import { SetMetadata } from '@nestjs/common';
import type { Permission } from '@app/permissions';

export const ALLOW_BEARER = 'orthanc-auth:allow-bearer';

/** The route parameters of the request, for a permission that depends on them (PUT /tokens/:type). */
export type RouteParams = Readonly<Record<string, string | undefined>>;

/** A permission, or several of which any one suffices. */
export type Permissions = Permission | readonly Permission[];

/** The permission(s), or a function of the route parameters giving them (undefined: none fits, refuse). */
export type BearerPermission = Permissions | ((params: RouteParams) => Permissions | undefined);

/**
 * Metadata only: besides the caller's Basic credentials, the route accepts `Authorization: Bearer <Keycloak access
 * token>` from a user whose mapped profile holds this permission, or one of these (read by CallerAuthGuard, beside
 * it: the decorator lives in the app because its type is the permissions lib's, which `common` may not import).
 */
export const AllowBearer = (permission: BearerPermission) => SetMetadata(ALLOW_BEARER, permission);
