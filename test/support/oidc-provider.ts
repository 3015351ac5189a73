import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { closeHttpServer } from './net';

export const REALM_PATH = '/realms/orthanc';
export const ADMIN_CLIENT_ID = 'admin-cli';
export const ADMIN_CLIENT_SECRET = 'admin-cli-secret-for-the-e2e-suites';
/** The confidential client the service introspects opaque tokens as (OIDC_INTROSPECTION_CLIENT_ID). */
export const INTROSPECTION_CLIENT_ID = 'orthanc-auth';
export const INTROSPECTION_CLIENT_SECRET = 'orthanc-auth-introspection-secret-for-the-e2e-suites';
/** The client the users' opaque access tokens are issued to (Orthanc Explorer 2, say). */
export const USER_CLIENT_ID = 'oe2';

export interface ProviderOptions {
  /**
   * The path of the issuer, exactly: `/realms/orthanc` (the default, as a Keycloak realm announces it) or, say,
   * `/oidc/`, an issuer that ends with a slash (`http://127.0.0.1:<port>/oidc/`, announced so).
   */
  issuerPath?: string;
}

export interface MintOptions {
  /** Seconds from now; negative for an already expired token. Default 300. */
  expiresIn?: number;
  issuer?: string;
  audience?: string | string[];
  /** Sign with this private JWK instead of the provider's current key (e.g. a key the provider never published). */
  key?: JWK;
  /** Keycloak's own `typ` claim (`Bearer` for access tokens). */
  typ?: string;
}

/** Keycloak-shaped claims of a test user. */
export interface TestUser {
  sub: string;
  preferred_username: string;
  name?: string;
  roles?: string[];
  groups?: string[];
  extra?: Record<string, unknown>;
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/**
 * A real OpenID Connect provider (`oidc-provider`) running in-process on 127.0.0.1:0, mounted at /realms/orthanc so
 * that it looks like a Keycloak realm: `GET /realms/orthanc/.well-known/openid-configuration`, its `jwks_uri`, and a
 * real token endpoint where the confidential client `admin-cli` gets client-credentials tokens (used by the service's
 * admin client).
 *
 * User access tokens: Keycloak issues them after an interactive login, which would take a browser flow to drive
 * through oidc-provider. Instead, `mint()` signs Keycloak-shaped access tokens with the provider's own private JWKS,
 * the very keys the provider publishes at its jwks_uri, so the service verifies them exactly as it would verify
 * tokens the provider issued. `rotateKey()` swaps in a provider instance with a new signing key (new kid) on the same
 * issuer and port: its JWKS serves the new key (and, like Keycloak's passive keys, the old one unless dropped).
 */
export class TestOidcProvider {
  private server?: Server;
  private provider?: Provider;
  private keys: JWK[] = [];
  private readonly issuerPath: string;
  /** The extra claims of the opaque tokens issueOpaque() is saving. */
  private readonly extraClaims = new WeakMap<object, Record<string, unknown>>();
  /** Where the provider is mounted: the issuer's path without its terminating slash. */
  private readonly mountPath: string;
  port = 0;
  /** Request counts by path below the realm (e.g. '/jwks', '/token', '/.well-known/openid-configuration'). */
  readonly hits = new Map<string, number>();

  constructor(options: ProviderOptions = {}) {
    this.issuerPath = options.issuerPath ?? REALM_PATH;
    this.mountPath = this.issuerPath.replace(/\/$/, '');
  }

  /** The issuer, exactly as the provider announces it. */
  get issuer(): string {
    return `http://127.0.0.1:${this.port}${this.issuerPath}`;
  }

  /** The realm URL as a site writes KEYCLOAK_URI (with its trailing slash). */
  get realmUri(): string {
    return this.issuer.endsWith('/') ? this.issuer : `${this.issuer}/`;
  }

  get currentKid(): string {
    return this.keys[0].kid as string;
  }

  async start(): Promise<this> {
    this.keys = [await newSigningKey()];
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.provider = this.build();
    return this;
  }

  private build(): Provider {
    const provider = new Provider(this.issuer, {
      jwks: { keys: this.keys },
      clients: [
        {
          client_id: ADMIN_CLIENT_ID,
          client_secret: ADMIN_CLIENT_SECRET,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_post',
        },
        {
          client_id: INTROSPECTION_CLIENT_ID,
          client_secret: INTROSPECTION_CLIENT_SECRET,
          grant_types: [],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: USER_CLIENT_ID,
          client_secret: 'oe2-secret-for-the-e2e-suites',
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: ['http://127.0.0.1/oe2/callback'],
          response_types: ['code'],
        },
      ],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        // RFC 7662, at /token/introspection (announced as introspection_endpoint); its access tokens are opaque.
        introspection: { enabled: true },
      },
      ttl: { ClientCredentials: 300 },
      // Opaque tokens keep their extra claims in the provider's store, from here; introspection returns them.
      extraTokenClaims: (_ctx: unknown, token: object) => this.extraClaims.get(token),
      cookies: { keys: ['test-cookie-key'] },
    });
    provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));
    return provider;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (!url.startsWith(`${this.mountPath}/`) || !this.provider) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const inner = url.slice(this.mountPath.length);
    const path = inner.split('?')[0];
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    // Mounted below /realms/orthanc: oidc-provider derives its mount path from originalUrl vs url.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = inner;
    void this.provider.callback()(req, res);
  }

  hitCount(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  /** A Keycloak-shaped access token for this user, signed with the provider's current key (header typ JWT). */
  async mint(user: TestUser, opts: MintOptions = {}): Promise<string> {
    const jwk = opts.key ?? this.keys[0];
    const key = await importJWK(jwk, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      typ: opts.typ ?? 'Bearer',
      azp: 'orthanc',
      scope: 'openid profile email',
      preferred_username: user.preferred_username,
      realm_access: { roles: user.roles ?? [] },
      resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
      ...(user.name !== undefined ? { name: user.name } : {}),
      ...(user.groups !== undefined ? { groups: user.groups } : {}),
      ...(user.extra ?? {}),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: jwk.kid })
      .setIssuer(opts.issuer ?? this.issuer)
      .setAudience(opts.audience ?? 'account')
      .setSubject(user.sub)
      .setJti(randomUUID())
      .setIssuedAt(now - 1)
      .setExpirationTime(now + (opts.expiresIn ?? 300))
      .sign(key);
  }

  /**
   * A real opaque access token of the provider, issued to the client oe2 for this user, as its authorization-code
   * grant would issue it after a login (the login itself needs a browser): an AccessToken of oidc-provider's own,
   * stored by it, that its introspection endpoint answers for. The user's Keycloak-shaped claims (roles, names) are
   * the token's extra claims, which introspection returns at the top level.
   */
  async issueOpaque(
    user: TestUser,
    opts: { expiresIn?: number; extra?: Record<string, unknown> } = {},
  ): Promise<string> {
    const provider = this.provider!;
    const token = new provider.AccessToken({
      accountId: user.sub,
      client: await provider.Client.find(USER_CLIENT_ID),
      scope: 'openid',
      expiresIn: opts.expiresIn ?? 300,
    });
    this.extraClaims.set(token, {
      preferred_username: user.preferred_username,
      realm_access: { roles: user.roles ?? [] },
      ...(user.name !== undefined ? { name: user.name } : {}),
      ...(user.groups !== undefined ? { groups: user.groups } : {}),
      ...(user.extra ?? {}),
      ...opts.extra,
    });
    return token.save();
  }

  /** Revokes an opaque access token at the provider (as its revocation endpoint would): introspection says inactive. */
  async revokeOpaque(value: string): Promise<void> {
    const token = await this.provider!.AccessToken.find(value);
    await token?.destroy();
  }

  /** A fresh private key the provider never published (for "unknown kid" tokens). */
  static foreignKey(): Promise<JWK> {
    return newSigningKey();
  }

  /** The public half of the current signing key, as the provider publishes it. */
  publicJwk(): JWK {
    const { kty, n, e, kid, alg, use } = this.keys[0];
    return { kty, n, e, kid, alg, use };
  }

  /** Rotates the realm's signing key: new kid, served by the JWKS from now on. Returns the new kid. */
  async rotateKey(opts: { keepOld?: boolean } = {}): Promise<string> {
    const fresh = await newSigningKey();
    this.keys = opts.keepOld === false ? [fresh] : [fresh, ...this.keys];
    this.provider = this.build();
    return fresh.kid as string;
  }

  /**
   * Publishes these private keys too, beside the current signing key, as a provider with several keys and algorithms
   * does (RSA without `alg`, EC, Ed25519...): its JWKS serves their public halves from now on.
   */
  publishKeys(extra: JWK[]): void {
    this.keys = [this.keys[0], ...extra];
    this.provider = this.build();
  }

  /** Is this a live client-credentials token the provider issued to admin-cli? (The admin stand-in asks.) */
  async isAdminToken(value: string): Promise<boolean> {
    if (!this.provider) return false;
    const token = await this.provider.ClientCredentials.find(value);
    return !!token && token.clientId === ADMIN_CLIENT_ID && !token.isExpired;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeHttpServer(server);
  }
}

export async function startOidcProvider(options: ProviderOptions = {}): Promise<TestOidcProvider> {
  return new TestOidcProvider(options).start();
}
