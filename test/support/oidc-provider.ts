import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import { closeHttpServer } from './net';

export const REALM_PATH = '/realms/orthanc';
export const ADMIN_CLIENT_ID = 'admin-cli';
export const ADMIN_CLIENT_SECRET = 'admin-cli-secret-for-the-e2e-suites';

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
  port = 0;
  /** Request counts by path below the realm (e.g. '/jwks', '/token', '/.well-known/openid-configuration'). */
  readonly hits = new Map<string, number>();

  get issuer(): string {
    return `http://127.0.0.1:${this.port}${REALM_PATH}`;
  }

  /** The realm URL as a site writes KEYCLOAK_URI (with its trailing slash). */
  get realmUri(): string {
    return `${this.issuer}/`;
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
      ],
      features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
      ttl: { ClientCredentials: 300 },
      cookies: { keys: ['test-cookie-key'] },
    });
    provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));
    return provider;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (!url.startsWith(`${REALM_PATH}/`) || !this.provider) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const inner = url.slice(REALM_PATH.length);
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
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: jwk.kid as string })
      .setIssuer(opts.issuer ?? this.issuer)
      .setAudience(opts.audience ?? 'account')
      .setSubject(user.sub)
      .setJti(randomUUID())
      .setIssuedAt(now - 1)
      .setExpirationTime(now + (opts.expiresIn ?? 300))
      .sign(key);
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

export async function startOidcProvider(): Promise<TestOidcProvider> {
  return new TestOidcProvider().start();
}
