import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Caller } from '@app/common';
import { tokensConfig } from '@app/tokens';
import type { TokensConfig } from '@app/tokens';

/** The limiter's window: limits are per minute. */
const CREATION_WINDOW_MS = 60_000;

/**
 * Who is counted: the verified caller, as the caller guard left it on the request: a Basic login, or a Keycloak user
 * by subject. Never anything the client merely claims (an IP, an unverified header): a stranger sending wrong
 * passwords for `share-user` must not use up the plugin's allowance.
 *
 * The Orthanc authorization plugin (0.11.x) sends no user identity with `PUT /tokens/{type}`: only its Basic login and
 * the body (id, resources, type, expiration-date, validity-duration). So the links of every OE2 user share the
 * plugin login's allowance; only a Keycloak user calling with their own bearer token is counted on their own.
 */
function trackerOf(caller: Caller): string {
  return caller.kind === 'basic' ? `basic:${caller.name}` : `bearer:${caller.userId ?? caller.name}`;
}

/**
 * The rate limit of token creation (`PUT /tokens/{type}`), per verified caller and per minute, as a sliding window:
 * at most `limit` tokens created in any 60 s, then a 429 JSON with `Retry-After` (seconds until the oldest creation of
 * the window leaves it). No block beyond the window: a burst over the limit refuses only the excess.
 *
 * **Only creations count.** It is asked after the body passed validation, and a creation that then fails (a 400
 * naming a missing setting, a 403, a registry down) gives its place back: a client sending invalid bodies (3,000 400s
 * through the plugin's one login) uses up nothing, and the next valid creation goes through.
 *
 * Basic logins and Keycloak users have separate limits: TOKEN_CREATION_LIMIT_BASIC (3000 a minute: the plugin creates
 * the links of every OE2 user through its one login) and TOKEN_CREATION_LIMIT_BEARER (60: one person or one script).
 * 0 turns a limit off. Counts are per process (each of WORKERS counts its own).
 */
@Injectable()
export class TokenCreationLimiter {
  /** Per caller, the times (ms) of its creations still in the window, oldest first. */
  private readonly windows = new Map<string, number[]>();
  private sweptAt = 0;

  constructor(@Inject(tokensConfig.KEY) private readonly config: TokensConfig) {}

  /**
   * Runs `create` within the caller's allowance: refused with a 429 (and `Retry-After` on the reply) when the window
   * is full; otherwise the creation takes a place, which it gives back if it fails.
   */
  async within<T>(caller: Caller | null | undefined, reply: FastifyReply, create: () => Promise<T>): Promise<T> {
    const bearer = caller?.kind === 'bearer';
    const limit = bearer ? this.config.creationLimitBearer : this.config.creationLimitBasic;
    if (!caller || limit <= 0) return create();
    const now = Date.now();
    this.sweep(now);
    const key = trackerOf(caller);
    const window = this.windows.get(key) ?? [];
    while (window.length && window[0] <= now - CREATION_WINDOW_MS) window.shift();
    if (window.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil((window[0] + CREATION_WINDOW_MS - now) / 1000));
      void reply.header('retry-after', String(retryAfter));
      const setting = bearer ? 'TOKEN_CREATION_LIMIT_BEARER' : 'TOKEN_CREATION_LIMIT_BASIC';
      throw new HttpException(
        `too many tokens created by this caller: at most ${limit} a minute (${setting}); retry in ${retryAfter} s`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    window.push(now);
    this.windows.set(key, window);
    try {
      return await create();
    } catch (err) {
      const at = window.lastIndexOf(now);
      if (at >= 0) window.splice(at, 1);
      throw err;
    }
  }

  /** Forgets the callers with nothing left in their window (Keycloak users come and go), at most once a window. */
  private sweep(now: number): void {
    if (now - this.sweptAt < CREATION_WINDOW_MS) return;
    this.sweptAt = now;
    for (const [key, window] of this.windows) {
      if (!window.length || window[window.length - 1] <= now - CREATION_WINDOW_MS) this.windows.delete(key);
    }
  }
}
