import { Caller, ForbiddenError, InvalidInputError } from '@app/common';
import type { Permission } from '@app/permissions';

/** The permissions that let a Keycloak user create a share token of any type with their own bearer token. */
export const BEARER_SHARE_PERMISSIONS: readonly Permission[] = ['share', 'all'];

/**
 * Does this list of authorized labels cover every study? As Orthanc's authorization plugin reads it
 * (`HasAccessToAllLabels`): the list holds `*`.
 */
export function seesAllLabels(labels: readonly string[] | undefined): boolean {
  return labels !== undefined && labels.includes('*');
}

const LABELS_REFUSAL =
  'this Keycloak user may see only studies with some labels (authorized-labels without "*"), and this service cannot see a study\'s labels, so it does not create share links for them: share through Orthanc (Orthanc Explorer 2), whose authorization plugin knows the labels';

/**
 * A Keycloak user may only share what they may see, and this service cannot see Orthanc's labels. So a bearer
 * caller must hold `share` (or `all`) whatever the token type, and see every label; Basic callers (the Orthanc
 * plugin, which knows the labels, and trusted scripts) are not concerned. Throws a 403 otherwise.
 */
export function assertBearerMayShare(caller: Caller): void {
  const permissions = caller.permissions ?? [];
  if (!BEARER_SHARE_PERMISSIONS.some((p) => permissions.includes(p))) {
    throw new ForbiddenError(
      `the user's roles grant neither "share" nor "all": creating share tokens with a Keycloak token needs one of them`,
    );
  }
  if (!seesAllLabels(caller.authorizedLabels)) throw new ForbiddenError(LABELS_REFUSAL);
}

/**
 * The expiry of a token a bearer caller asks for, bounded by `maxSeconds` (BEARER_SHARE_MAX_VALIDITY): none asked
 * means the bound itself; a longer one is a 400 naming the setting (a silent clamp would hand out a link that dies
 * before the date its sender announced).
 */
export function boundedBearerExpiry(
  asked: { expiresAt: Date | null; byDate: boolean },
  maxSeconds: number,
  now: number,
): { expiresAt: Date; defaulted: boolean } {
  const latest = now + maxSeconds * 1000;
  if (asked.expiresAt === null) return { expiresAt: new Date(latest), defaulted: true };
  if (asked.expiresAt.getTime() > latest) {
    throw new InvalidInputError([
      `${asked.byDate ? 'expiration-date' : 'validity-duration'} must be at most ${describeSeconds(maxSeconds)} from now for a token created with a Keycloak user's token (BEARER_SHARE_MAX_VALIDITY)`,
    ]);
  }
  return { expiresAt: asked.expiresAt, defaulted: false };
}

function describeSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds} seconds (${seconds / 86400} days)`;
  if (seconds % 3600 === 0) return `${seconds} seconds (${seconds / 3600} hours)`;
  return `${seconds} seconds`;
}
