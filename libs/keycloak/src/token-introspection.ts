import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { ByteBoundedMap, MetricsService } from '@app/common';
import type { IntrospectionConfig } from './keycloak.config';
import { KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** What one cached answer costs on the heap besides its claims: the Map slot, the entry, the key (a sha256). */
const ENTRY_OVERHEAD = 400;
/** Never more answers than this, however small (the byte bound decides before it in practice). */
const MAX_ENTRIES = 100_000;

/** A cached answer: the active token's claims (null: not active), reused until `until` (ms since the epoch). */
interface Answer {
  claims: JWTPayload | null;
  until: number;
}

/**
 * RFC 7662 token introspection of opaque access tokens, with openid-client's `tokenIntrospection` at the endpoint the
 * provider announces (discovery), authenticated as OIDC_INTROSPECTION_CLIENT_ID (client_secret_basic).
 *
 * Answers are cached by the token's sha256 (never the token itself) until the token's `exp`, at most
 * OIDC_INTROSPECTION_CACHE_SECONDS (a token revoked at the provider is refused within it), an inactive answer for that
 * maximum; bounded in bytes (OIDC_INTROSPECTION_CACHE_MB) like the verified share tokens, so a flood of random tokens
 * holds no more. Concurrent requests for one token share one call. The provider down, or answering nonsense (a wrong
 * client secret too), is a KeycloakUnavailableError (503), as when its keys cannot be had; a cached answer still serves.
 */
export class TokenIntrospector {
  private client?: oidc.Configuration;
  private readonly answers: ByteBoundedMap<string, Answer>;
  private readonly inflight = new Map<string, Promise<JWTPayload | null>>();

  constructor(
    private readonly config: IntrospectionConfig,
    private readonly timeoutMs: number,
    private readonly issuer: KeycloakIssuerService,
    private readonly metrics?: MetricsService,
    private readonly now: () => number = Date.now,
  ) {
    this.answers = new ByteBoundedMap({ maxEntries: MAX_ENTRIES, maxBytes: config.cacheBytes });
  }

  /** The claims of an active token, null for one the provider says is not active. */
  introspect(token: string): Promise<JWTPayload | null> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.answers.get(key);
    if (cached) {
      if (cached.until > this.now()) return Promise.resolve(cached.claims);
      this.answers.delete(key);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.ask(token, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async ask(token: string, key: string): Promise<JWTPayload | null> {
    const client = await this.introspectionClient();
    let answer: oidc.IntrospectionResponse;
    try {
      const call = () => oidc.tokenIntrospection(client, token, { token_type_hint: 'access_token' });
      answer = this.metrics ? await this.metrics.countPeerCall('keycloak', 'introspection', call) : await call();
    } catch (err) {
      throw new KeycloakUnavailableError('token introspection failed', err);
    }
    // An introspection answer is the peer's JSON: only the literal true opens, whatever the library's type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
    const claims = answer.active === true ? (answer as JWTPayload) : null;
    this.remember(key, claims);
    return claims;
  }

  private remember(key: string, claims: JWTPayload | null): void {
    const now = this.now();
    let until = now + this.config.cacheMaxMs;
    if (claims && typeof claims.exp === 'number') until = Math.min(until, claims.exp * 1000);
    if (until <= now) return;
    const bytes = ENTRY_OVERHEAD + (claims ? 2 * JSON.stringify(claims).length : 0);
    this.answers.set(key, { claims, until }, bytes);
  }

  /** The introspection client, on the discovered metadata (no second discovery). */
  private async introspectionClient(): Promise<oidc.Configuration> {
    if (this.client) return this.client;
    const metadata = (await this.issuer.configuration()).serverMetadata();
    if (!metadata.introspection_endpoint) {
      throw new KeycloakUnavailableError(
        'the OpenID provider announces no introspection_endpoint, which OIDC_INTROSPECTION_CLIENT_ID needs',
      );
    }
    const client = new oidc.Configuration(
      metadata,
      this.config.clientId,
      undefined,
      oidc.ClientSecretBasic(this.config.clientSecret),
    );
    client.timeout = this.timeoutMs / 1000;
    // Deprecated only to stand out: plain http is taken for an http:// endpoint (tests, a proxy on the same host).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (metadata.introspection_endpoint.startsWith('http:')) oidc.allowInsecureRequests(client);
    this.client = client;
    return client;
  }
}
