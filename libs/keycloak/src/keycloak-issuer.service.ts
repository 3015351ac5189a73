import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import * as oidc from 'openid-client';
import { MetricsService } from '@app/common';
import {
  announcedIssuerMatches,
  discoveryUrl,
  keycloakConfig,
  KeycloakConfig,
  oidcStartupLines,
} from './keycloak.config';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** How long /ready reuses the provider's state before discovering it again (a public route: never one fetch a call). */
const READINESS_CACHE_MS = 5000;

/** The OpenID provider as /ready reports it: up, or degraded (user tokens answer 503; share links are not affected). */
export type ProviderReadiness = { status: 'up' } | { status: 'degraded'; message: string };

/**
 * The OpenID provider's metadata (issuer, jwks_uri, token_endpoint), discovered with openid-client from
 * OIDC_ISSUER_URL (KEYCLOAK_URI). Lazy and retried: a provider that is down at start-up only delays the first lookups
 * (they answer 503 until it is back); the process never exits for it. Concurrent callers share one discovery request.
 */
@Injectable()
export class KeycloakIssuerService implements OnApplicationBootstrap {
  private readonly logger = new Logger(KeycloakIssuerService.name);
  private discovered?: oidc.Configuration;
  private pending?: Promise<oidc.Configuration>;
  private readinessState?: { at: number; value: ProviderReadiness };
  private readinessPending?: Promise<ProviderReadiness>;

  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Warms the discovery up in the background; a failure is only logged (the next lookup retries). */
  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    for (const line of oidcStartupLines(this.config)) this.logger[line.level](line.text);
    this.configuration().then(
      (c) =>
        this.logger.log(
          `OpenID provider discovered at ${this.config.issuerUrl} (${this.config.provider}): ` +
            `access tokens must carry the issuer "${c.serverMetadata().issuer}", exactly`,
        ),
      (err: unknown) =>
        this.logger.warn(
          err instanceof KeycloakUnavailableError && err.cause instanceof IssuerMismatchError
            ? `OpenID provider ${this.config.issuerUrl}: ${err.cause.message}; user tokens get a 503 until the setting is fixed`
            : `OpenID provider ${this.config.issuerUrl} is not reachable yet; user tokens get a 503 until it is`,
        ),
    );
  }

  /** The openid-client configuration of the provider (for the Keycloak admin client's client-credentials grant too). */
  configuration(): Promise<oidc.Configuration> {
    if (this.discovered) return Promise.resolve(this.discovered);
    this.pending ??= this.discover().then(
      (c) => {
        this.discovered = c;
        this.pending = undefined;
        return c;
      },
      (err: unknown) => {
        this.pending = undefined;
        this.logger.error(`OIDC discovery of ${this.config.issuerUrl} failed: ${describe(err)}`);
        throw new KeycloakUnavailableError('OpenID Connect discovery failed', err);
      },
    );
    return this.pending;
  }

  /**
   * Readiness (GET /ready): discovers the provider again at most every READINESS_CACHE_MS (concurrent probes share
   * one discovery). Never rejects: a provider that cannot be discovered is `degraded`, logged once when it turns so.
   */
  readiness(): Promise<ProviderReadiness> {
    const state = this.readinessState;
    if (state && Date.now() - state.at < READINESS_CACHE_MS) return Promise.resolve(state.value);
    this.readinessPending ??= this.discover()
      .then(
        (c): ProviderReadiness => {
          this.discovered ??= c;
          return { status: 'up' };
        },
        (err: unknown): ProviderReadiness => {
          if (this.readinessState?.value.status !== 'degraded') {
            this.logger.warn(`OpenID provider ${this.config.issuerUrl} not reachable for /ready: ${describe(err)}`);
          }
          return {
            status: 'degraded',
            message:
              'OpenID Connect discovery failed: user tokens answer 503 until it succeeds (share links are not affected)',
          };
        },
      )
      .then((value) => {
        if (value.status === 'up' && this.readinessState?.value.status === 'degraded') {
          this.logger.log(`OpenID provider ${this.config.issuerUrl} reachable again`);
        }
        this.readinessState = { at: Date.now(), value };
        this.readinessPending = undefined;
        return value;
      });
    return this.readinessPending;
  }

  private discover(): Promise<oidc.Configuration> {
    return this.metrics
      ? this.metrics.countPeerCall('keycloak', 'discovery', () => this.discoverRealm())
      : this.discoverRealm();
  }

  /**
   * Discovery as OpenID Discovery 4 says: the metadata at `<issuer without a terminating />/.well-known/openid-configuration`
   * (given so, openid-client fetches it as it is, without its own issuer check, which compares URLs once normalised),
   * whose `issuer` must be the configured one (announcedIssuerMatches), else an error quoting both strings.
   */
  private async discoverRealm(): Promise<oidc.Configuration> {
    const realm = this.config.issuerUrl;
    if (!realm) throw new Error('OpenID Connect is disabled');
    const admin = this.config.admin;
    const insecure = realm.startsWith('http:');
    const configuration = await oidc.discovery(
      new URL(discoveryUrl(realm)),
      admin?.clientId ?? 'orthanc-auth',
      admin ? { client_secret: admin.clientSecret } : undefined,
      admin ? oidc.ClientSecretPost(admin.clientSecret) : oidc.None(),
      // Deprecated only to stand out: plain http is taken for an http:// realm (tests, a proxy on the same host).
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      { timeout: this.config.timeoutMs / 1000, execute: insecure ? [oidc.allowInsecureRequests] : [] },
    );
    const announced = configuration.serverMetadata().issuer;
    const expected = this.config.issuer ?? realm;
    if (!announcedIssuerMatches(expected, announced)) {
      throw new IssuerMismatchError(
        `the provider announces the issuer "${announced}", not ` +
          `${this.config.issuer ? 'OIDC_ISSUER (KEYCLOAK_ISSUER)' : 'OIDC_ISSUER_URL (KEYCLOAK_URI)'} "${expected}": ` +
          'set it to the announced issuer (OpenID Discovery 4.3 compares them exactly)' +
          (this.config.issuer ? '' : ', or set OIDC_ISSUER when the provider is reached on another URL'),
      );
    }
    return configuration;
  }
}

/** The provider announces an issuer that is not the configured one: a setting to fix, not an outage. */
class IssuerMismatchError extends Error {
  override readonly name = 'IssuerMismatchError';
}

/** An error's class and message, for a log line (never a token: these come from HTTP and JOSE libraries). */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.name}: ${err.message}${cause}`;
  }
  return String(err);
}
