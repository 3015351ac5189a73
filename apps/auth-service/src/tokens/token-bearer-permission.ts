import type { Permission } from '@app/permissions';
import { isTokenType, PUBLICATION_TYPES } from '@app/tokens';
import type { RouteParams } from '../auth/allow-bearer.decorator';

/**
 * The permission a Keycloak user needs to create a token of the route's type with their own bearer token:
 * publications need `share`, viewer and MedDream instant links `view`, download links `download`. An unknown type
 * needs a permission nobody has (undefined: refused).
 */
export function bearerPermissionForTokenType(params: RouteParams): Permission | undefined {
  const type = params.type;
  if (!isTokenType(type)) return undefined;
  if (PUBLICATION_TYPES.has(type)) return 'share';
  if (type === 'download-instant-link') return 'download';
  return 'view';
}
