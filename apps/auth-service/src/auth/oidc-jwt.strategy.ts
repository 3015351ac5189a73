import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { JwtFromRequestFunction } from 'passport-jwt';
import type { Caller } from '@app/common';
import { AccessTokenVerifier } from '@app/keycloak';
import type { KeycloakIdentity } from '@app/keycloak';
import { ProfileService } from '../profiles/profile.service';

/** The passport name of the strategy, followed by the number of the application instance (see the constructor). */
const OIDC_JWT = 'oidc-jwt';
let instances = 0;

/** One token after the scheme, nothing else (passport-jwt's own extractor takes the first of several words). */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

interface BearerRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The token of an `Authorization: Bearer <token>` header written strictly, else null: what makes the caller guard ask
 * this strategy (`Bearer a b` goes to the Basic guard, and is refused there).
 */
export function bearerToken(request: BearerRequest): string | null {
  const header = request.headers.authorization;
  return (typeof header === 'string' && BEARER.exec(header)?.[1]) || null;
}

/** What passport-jwt's Strategy holds and what passport gives each strategy per request (passport-strategy's actions). */
interface JwtStrategyInternals {
  _jwtFromRequest: JwtFromRequestFunction<BearerRequest>;
  _verify: (identity: KeycloakIdentity, done: (err: unknown, user?: Caller | false, info?: unknown) => void) => void;
  success(user: Caller, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(err: unknown): void;
}

/**
 * passport-jwt for the OpenID provider's access tokens on the @AllowBearer routes, verifying with get-profile's one
 * verifier (AccessTokenVerifier), not a second library:
 * - passport-jwt's ExtractJwt takes the token from `Authorization: Bearer` (the caller guard has checked the header's
 *   strict form before asking);
 * - the verifier, in place of passport-jwt's jsonwebtoken step, does what get-profile does with the token: one
 *   decoding, the same algorithms (EdDSA too), the one JWKS store, introspection of opaque tokens, the claim rules;
 * - passport-jwt's verify callback (`validate`, through @nestjs/passport) maps the verified identity's roles through
 *   the roles configuration into the Caller.
 * A refused token fails (401; the verifier has logged why); the provider unreachable is an error (503).
 */
@Injectable()
export class OidcJwtStrategy extends PassportStrategy(JwtStrategy, OIDC_JWT) implements OnModuleDestroy {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly profiles: ProfileService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt insists on a key source for its jsonwebtoken step, which authenticate() below replaces with the
      // verifier: never asked.
      secretOrKeyProvider: (_request: unknown, _token: string, done: (err: unknown) => void) =>
        done(new Error('OidcJwtStrategy verifies with AccessTokenVerifier')),
    });
    // passport's registry is one per process, and each application's strategy holds its own verifier and roles: a
    // name of its own, so that where several applications run in one process (the test suites) each guard uses its
    // application's strategy, never the one started last (BearerAuthGuard asks by this name).
    passport.unuse(OIDC_JWT);
    this.name = `${OIDC_JWT}#${++instances}`;
    passport.use(this.name, this);
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }

  /** passport-jwt's verify callback: the verified user as a Caller. */
  validate(identity: KeycloakIdentity): Caller {
    const profile = this.profiles.forIdentity(identity);
    return {
      kind: 'bearer',
      name: profile.name,
      userId: profile['user-id'],
      permissions: profile.permissions,
      authorizedLabels: profile['authorized-labels'],
    };
  }

  /** passport-jwt's flow (extract, verify, verify callback), its jsonwebtoken step being the one verifier. */
  override authenticate(request: BearerRequest): void {
    const self = this as unknown as JwtStrategyInternals;
    const token = self._jwtFromRequest(request);
    if (!token) return self.fail();
    this.verifier.verify(token).then(
      (identity) => {
        if (!identity) return self.fail();
        self._verify(identity, (err, user, info) => {
          if (err) return self.error(err);
          if (!user) return self.fail(info);
          self.success(user, info);
        });
      },
      (err: unknown) => self.error(err),
    );
  }
}
