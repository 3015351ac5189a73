import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Caller } from '@app/common';
import type { TokensConfig } from '@app/tokens';

/** The limiter's window: limits are per minute. */
const CREATION_WINDOW_MS = 60_000;

const callerOf = (context: ExecutionContext): Caller | undefined =>
  context.switchToHttp().getRequest<{ user?: Caller }>().user;

/**
 * Who is counted: the verified caller, as the caller guard (which runs first) left it on the request: a Basic login,
 * or a Keycloak user by subject. Never anything the client merely claims (an IP, an unverified header): a stranger
 * sending wrong passwords for `share-user` must not use up the plugin's allowance.
 */
function creationTracker(caller: Caller | undefined): string {
  if (!caller) return 'unknown';
  return caller.kind === 'basic' ? `basic:${caller.name}` : `bearer:${caller.userId ?? caller.name}`;
}

/**
 * The rate limit of token creation (@nestjs/throttler, applied to `PUT /tokens/{type}` only), per caller and per
 * minute, as a sliding window: at most `limit` creations in any 60 s, then a 429 JSON with `Retry-After` (seconds
 * until the oldest creation of the window leaves it). No block beyond the window: a burst over the limit refuses
 * only the excess.
 *
 * Basic logins and Keycloak users have separate limits. The Orthanc plugin creates the tokens of every OE2 user
 * (each viewer opened, each download, each share) through its one Basic login, so TOKEN_CREATION_LIMIT_BASIC is
 * high by default (3000 a minute, 50 a second sustained: tens of times what a busy hospital's OE2 asks); a
 * Keycloak user creating links with their own token is one person or one script: TOKEN_CREATION_LIMIT_BEARER, 60.
 * 0 turns a limit off. Counts are per process (each of WORKERS counts its own).
 */
export function tokenCreationThrottlerOptions(config: TokensConfig): ThrottlerModuleOptions {
  const limitOf = (caller: Caller | undefined) =>
    caller?.kind === 'bearer' ? config.creationLimitBearer : config.creationLimitBasic;
  const settingOf = (caller: Caller | undefined) =>
    caller?.kind === 'bearer' ? 'TOKEN_CREATION_LIMIT_BEARER' : 'TOKEN_CREATION_LIMIT_BASIC';
  return {
    throttlers: [
      {
        ttl: CREATION_WINDOW_MS,
        limit: (context) => limitOf(callerOf(context)),
        blockDuration: 0,
      },
    ],
    skipIf: (context) => limitOf(callerOf(context)) <= 0,
    getTracker: (req) => creationTracker((req as { user?: Caller }).user),
    errorMessage: (context, detail) => {
      const caller = callerOf(context);
      return `too many tokens created by this caller: at most ${detail.limit} a minute (${settingOf(caller)}); retry in ${Math.max(1, detail.timeToBlockExpire)} s`;
    },
  };
}
