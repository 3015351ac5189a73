import { ForbiddenException } from '@nestjs/common';
import type { Caller } from '@app/common';

/** Which shares a caller may manage: all of them, or only those they created (their Keycloak user id). */
export type ShareScope = { all: true } | { all: false; ownerUserId: string };

/**
 * Basic callers (trusted services) and Keycloak users with `admin-permissions` manage every share; users with
 * `share` only their own; anyone else, none.
 */
export function shareScope(caller: Caller | undefined): ShareScope {
  if (!caller || caller.kind === 'basic') return { all: true };
  const permissions = caller.permissions ?? [];
  if (permissions.includes('admin-permissions')) return { all: true };
  if (permissions.includes('share') && caller.userId) return { all: false, ownerUserId: caller.userId };
  throw new ForbiddenException(
    'managing shares needs the "share" permission (own shares) or "admin-permissions" (all)',
  );
}

export function ownerOf(scope: ShareScope): string | undefined {
  return scope.all ? undefined : scope.ownerUserId;
}

/** Who revoked, as stored in revoked_by: `basic:<login>`, `bearer:<user name>`. */
export function revokedBy(caller: Caller | undefined): string {
  return caller ? `${caller.kind}:${caller.name}` : 'unknown';
}
