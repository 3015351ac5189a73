import { BEARER_SHARE_PERMISSIONS, isTokenType } from '@app/tokens';
import type { Permissions, RouteParams } from '../auth/allow-bearer.decorator';

/**
 * The permissions of which a Keycloak user needs one to create a token of the route's type with their own bearer
 * token: `share` or `all`, whatever the type (an instant link shares a study as much as a publication does). An
 * unknown type needs a permission nobody has (undefined: refused). The rest of the rule (labels, bounded life) is
 * the token service's: assertBearerMayShare, boundedBearerExpiry.
 */
export function bearerPermissionForTokenType(params: RouteParams): Permissions | undefined {
  return isTokenType(params.type) ? BEARER_SHARE_PERMISSIONS : undefined;
}
