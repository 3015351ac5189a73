import { Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Caller } from '@app/common';
import { OidcJwtStrategy } from './oidc-jwt.strategy';

/**
 * The OpenID provider's access token of `Authorization: Bearer`, through passport-jwt: this application's
 * OidcJwtStrategy (asked by its own name: passport's registry is one per process), whose verified user becomes
 * `request.user`. A refused token is a 401 JSON; the provider unreachable, the strategy's 503.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard() {
  constructor(strategy: OidcJwtStrategy) {
    super({ defaultStrategy: strategy.name });
  }

  override handleRequest<TUser = Caller>(err: unknown, user: TUser | false | null): TUser {
    // Passport's error is rethrown as given, as Nest's own AuthGuard does.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (err) throw err;
    if (!user) throw new UnauthorizedException('the bearer token is not a valid access token of the OpenID provider');
    return user;
  }
}
