import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import passport from 'passport';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { SecretOrKeyProvider, StrategyOptions } from 'passport-jwt';
import type { Caller } from '@app/common';
import { AccessTokenVerifier, keycloakConfig, KeycloakConfig, KeycloakUnavailableError } from '@app/keycloak';
import { ProfileService } from '../profiles/profile.service';

/** The passport name of the strategy, followed by the number of the application instance (see the constructor). */
const OIDC_JWT = 'oidc-jwt';
let instances = 0;

/** One token after the scheme, nothing else (passport-jwt's own extractor takes the first of several words). */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

interface BearerRequest {
  headers: Record<string, string | string[] | undefined>;
}

/** What passport gives a strategy for each request (passport-strategy's actions). */
interface StrategyActions {
  fail(challenge?: unknown, status?: number): void;
  error(err: unknown): void;
}

/** The token of an `Authorization: Bearer <token>` header, else null: what makes the caller guard ask this strategy. */
export function bearerToken(request: BearerRequest): string | null {
  const header = request.headers.authorization;
  return (typeof header === 'string' && BEARER.exec(header)?.[1]) || null;
}

/** Keys of the EdDSA algorithm, which jsonwebtoken does not implement. */
const EDDSA_KEYS = new Set(['ed25519', 'ed448']);

/** A token refused before its signature was checked; the verifier (or the key provider) logged why. */
class RefusedBeforeSignature extends Error {}

const logger = new Logger('OidcJwtStrategy');

/**
 * The verifier's key for the token, as passport-jwt asks it: a Node KeyObject (jsonwebtoken takes no CryptoKey), a
 * refusal, or the verifier's error (KeycloakUnavailableError: 503).
 */
function keyProvider(verifier: AccessTokenVerifier): SecretOrKeyProvider {
  const provide = (_request: unknown, token: string, done: (err: unknown, key?: KeyObject) => void) => {
    verifier
      .keyForToken(token)
      .then(
        (key) => {
          const keyObject = key && KeyObject.from(key as webcrypto.CryptoKey);
          if (keyObject && EDDSA_KEYS.has(keyObject.asymmetricKeyType ?? '')) {
            // get-profile (jose) accepts it; jsonwebtoken would refuse it too, with a message that says less.
            logger.debug(
              "access token refused: alg EdDSA, which passport-jwt's jsonwebtoken cannot verify (get-profile's jose can)",
            );
            return done(new RefusedBeforeSignature());
          }
          return keyObject ? done(null, keyObject) : done(new RefusedBeforeSignature());
        },
        (err: unknown) => done(err),
      )
      .catch((err: unknown) => {
        // Nothing after the key should throw (passport ends each request itself); if something did, end this one.
        logger.error(`bearer token verification failed: ${err instanceof Error ? err.message : String(err)}`);
        done(err);
      });
  };
  // @types/passport-jwt says a PEM string or Buffer; jsonwebtoken 9 takes a KeyObject as it is (`instanceof KeyObject`).
  return provide as unknown as SecretOrKeyProvider;
}

/**
 * passport-jwt for the OpenID provider's access tokens on the @AllowBearer routes, with get-profile's rules, not a
 * second copy of them (AccessTokenVerifier):
 * - its `secretOrKeyProvider` is the verifier's `keyForToken`: the same form and algorithm checks before any I/O and
 *   the same key set (JwksKeyStore: cooldown, max age, unknown kids refused) as get-profile;
 * - jsonwebtoken then checks the signature, with the same algorithm allow-list and the same clock tolerance on
 *   `exp`/`nbf` (it has no EdDSA: such a token is refused here, 401, while get-profile accepts it);
 * - `validate` puts the token, its header and claims decoded as jose decodes them for get-profile, to the verifier's
 *   `identityOf` (issuer, expiry, audience or authorized party, typ, ID tokens refused, the configured claims), then
 *   maps the user's roles through the roles configuration into the Caller.
 * A refused token fails (401, one debug line naming the check); the provider unreachable is an error (503).
 */
@Injectable()
export class OidcJwtStrategy extends PassportStrategy(JwtStrategy, OIDC_JWT) implements OnModuleDestroy {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly profiles: ProfileService,
    @Inject(keycloakConfig.KEY) config: KeycloakConfig,
  ) {
    super({
      jwtFromRequest: bearerToken,
      secretOrKeyProvider: keyProvider(verifier),
      // The allow-list at the top: passport-jwt writes its own `algorithms` over jsonWebTokenOptions' (undefined too).
      algorithms: config.algorithms as NonNullable<StrategyOptions['algorithms']>,
      jsonWebTokenOptions: { clockTolerance: config.clockToleranceSeconds },
      passReqToCallback: true,
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

  /** The verified user as a Caller, or false (401) when the claims are not those of an access token for us. */
  async validate(request: BearerRequest): Promise<Caller | false> {
    const token = bearerToken(request);
    if (!token) return false;
    // jsonwebtoken decodes a header as latin1 and claims leniently: the rules read them as jose does for get-profile.
    const identity = await this.verifier.identityOf(decodeProtectedHeader(token), decodeJwt(token));
    if (!identity) return false;
    const profile = this.profiles.forIdentity(identity);
    return {
      kind: 'bearer',
      name: profile.name,
      userId: profile['user-id'],
      permissions: profile.permissions,
      authorizedLabels: profile['authorized-labels'],
    };
  }

  /**
   * passport-jwt fails a request whatever went wrong before its verify callback: the provider being unreachable is
   * made an error here (503), not a refusal; a refusal of jsonwebtoken's own gets its debug line (the verifier's
   * refusals have had theirs).
   */
  override authenticate(request: BearerRequest, options?: object): void {
    const actions = this as unknown as StrategyActions;
    const fail = actions.fail;
    actions.fail = (challenge?: unknown, status?: number) => {
      if (challenge instanceof KeycloakUnavailableError) return actions.error(challenge);
      if (challenge instanceof Error && !(challenge instanceof RefusedBeforeSignature)) {
        logger.debug(`access token refused: jsonwebtoken (${challenge.message.split('\n')[0]})`);
      }
      fail.call(actions, challenge, status);
    };
    super.authenticate(request as never, options);
  }
}
