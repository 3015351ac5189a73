import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BasicAuthGuard, IS_PUBLIC, LoginBackoff } from '@app/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '@app/common';
import { ALLOW_BEARER, BearerPermission, RouteParams } from './allow-bearer.decorator';
import { BearerAuthGuard } from './bearer-auth.guard';
import { bearerToken } from './oidc-jwt.strategy';

/**
 * Secure by default: every route needs the caller's HTTP Basic credentials (USERS) unless marked @Public().
 * A route marked @AllowBearer(permission) also accepts `Authorization: Bearer <access token>` of the OpenID provider:
 * the token is verified by passport-jwt's strategy with get-profile's own verifier (BearerAuthGuard, OidcJwtStrategy,
 * AccessTokenVerifier), the user's roles are mapped through the roles configuration, and the permission must be among
 * them (else 403). An invalid token is a 401; the provider unreachable, a 503.
 */
@Injectable()
export class CallerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly basic: BasicAuthGuard,
    private readonly bearer: BearerAuthGuard,
    private readonly backoff: LoginBackoff,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const bearerPermission = this.reflector.getAllAndOverride<BearerPermission | undefined>(ALLOW_BEARER, targets);
    if (bearerPermission !== undefined) {
      const request = context.switchToHttp().getRequest<{
        headers: Record<string, string | string[] | undefined>;
        params?: RouteParams;
        user?: Caller;
      }>();
      if (bearerToken(request)) {
        await this.bearer.canActivate(context);
        requirePermission(request.user!, bearerPermission, request.params ?? {});
        return true;
      }
    }
    try {
      return (await this.basic.canActivate(context)) as boolean;
    } catch (err) {
      // A wrong credential (not a missing one) waits its address's backoff before its 401.
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      if (err instanceof UnauthorizedException && request.headers.authorization) {
        await this.backoff.failed(request.socket.remoteAddress, request.headers['x-forwarded-for']);
      }
      throw err;
    }
  }
}

/** The route's permission (or one of them) among the bearer caller's, else a 403 saying which the route requires. */
function requirePermission(caller: Caller, required: BearerPermission, params: RouteParams): void {
  const permission = typeof required === 'function' ? required(params) : required;
  const accepted = permission === undefined ? [] : typeof permission === 'string' ? [permission] : permission;
  const held = caller.permissions ?? [];
  if (accepted.some((p) => held.includes(p))) return;
  throw new ForbiddenException(
    accepted.length
      ? `the user's roles do not grant the ${accepted.map((p) => `"${p}"`).join(' or ')} permission this route requires`
      : 'this route accepts no bearer token for these parameters',
  );
}
