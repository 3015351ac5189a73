import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BasicAuthGuard, IS_PUBLIC } from '@app/common';
import type { Caller } from '@app/common';
import { ProfileService } from '../profiles/profile.service';
import { ALLOW_BEARER, BearerPermission, RouteParams } from './allow-bearer.decorator';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Secure by default: every route needs the caller's HTTP Basic credentials (USERS) unless marked @Public().
 * A route marked @AllowBearer(permission) also accepts `Authorization: Bearer <Keycloak access token>`: the token is
 * verified against the realm, the user's roles are mapped through the roles configuration, and the permission must
 * be among them (else 403). An invalid token is a 401; Keycloak unreachable, a 503.
 */
@Injectable()
export class CallerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly basic: BasicAuthGuard,
    private readonly profiles: ProfileService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const bearerPermission = this.reflector.getAllAndOverride<BearerPermission | undefined>(ALLOW_BEARER, targets);
    if (bearerPermission !== undefined) {
      const request = context
        .switchToHttp()
        .getRequest<{ headers: Record<string, unknown>; params?: RouteParams; user?: Caller }>();
      const header = request.headers.authorization;
      const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
      if (token) {
        request.user = await this.bearerCaller(token, bearerPermission, request.params ?? {});
        return true;
      }
    }
    return (await this.basic.canActivate(context)) as boolean;
  }

  private async bearerCaller(token: string, required: BearerPermission, params: RouteParams): Promise<Caller> {
    const profile = await this.profiles.forAccessToken(token);
    if (!profile) throw new UnauthorizedException('the bearer token is not a valid access token of the Keycloak realm');
    const permission = typeof required === 'function' ? required(params) : required;
    const accepted = permission === undefined ? [] : typeof permission === 'string' ? [permission] : permission;
    if (!accepted.some((p) => profile.permissions.includes(p))) {
      throw new ForbiddenException(
        accepted.length
          ? `the user's roles do not grant the ${accepted.map((p) => `"${p}"`).join(' or ')} permission this route requires`
          : 'this route accepts no bearer token for these parameters',
      );
    }
    return {
      kind: 'bearer',
      name: profile.name,
      userId: profile['user-id'],
      permissions: profile.permissions,
      authorizedLabels: profile['authorized-labels'],
    };
  }
}
