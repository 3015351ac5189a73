import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import * as oidc from 'openid-client';
import { MetricsService } from '@app/common';
import { keycloakConfig, KeycloakAdminConfig, KeycloakConfig } from './keycloak.config';
import { describe, KeycloakIssuerService } from './keycloak-issuer.service';
import { KeycloakUnavailableError } from './keycloak-unavailable';

/** The parts of Keycloak's UserRepresentation read here. */
export interface KeycloakUser {
  id: string;
  username: string;
  enabled?: boolean;
  /** Seconds since the epoch before which the user's credentials are not valid. */
  notBefore?: number;
  attributes?: Record<string, unknown>;
}

interface RoleRepresentation {
  name?: unknown;
  composite?: unknown;
}

/** Realm roles that Keycloak creates for its own use and that never carry Orthanc permissions. */
export function isBuiltInRole(name: string): boolean {
  return name === 'uma_authorization' || name === 'offline_access' || name.startsWith('default-roles-');
}

/** The user whose `api-key` attribute holds exactly this value; the `q` search is only a pre-filter. */
export function userWithApiKey(users: readonly KeycloakUser[], apiKey: string): KeycloakUser | null | 'ambiguous' {
  const matches = users.filter((u) => {
    const values = u.attributes?.['api-key'];
    return Array.isArray(values) && values.some((v) => v === apiKey);
  });
  if (matches.length > 1) return 'ambiguous';
  return matches[0] ?? null;
}

/** May this user authenticate now (enabled, and its notBefore, if any, is past)? */
export function userIsActive(user: KeycloakUser, nowSeconds: number): boolean {
  if (user.enabled !== true) return false;
  return !(typeof user.notBefore === 'number' && user.notBefore > nowSeconds);
}

/**
 * The only code that talks to Keycloak's admin REST API (`KEYCLOAK_ADMIN_URI`): a client-credentials token of the
 * admin client (admin-cli by default) cached until shortly before it expires, and the few documented endpoints the
 * service needs. Every call has a timeout; an unreachable or failing Keycloak is a KeycloakUnavailableError (503).
 */
@Injectable()
export class KeycloakAdminClient {
  private readonly logger = new Logger(KeycloakAdminClient.name);
  private token?: { value: string; refreshAt: number };
  private pendingToken?: Promise<string>;

  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    private readonly issuer: KeycloakIssuerService,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  get configured(): boolean {
    return this.config.enabled && this.config.admin !== undefined;
  }

  private get admin(): KeycloakAdminConfig {
    if (!this.config.enabled || !this.config.admin) throw new Error('the Keycloak admin client is not configured');
    return this.config.admin;
  }

  /** `GET {admin}/roles`: realm role names, without composite roles and Keycloak's built-in ones. */
  async listRealmRoles(): Promise<string[]> {
    const roles = (await this.get<RoleRepresentation[]>('roles')) ?? [];
    return roles
      .filter((r) => typeof r.name === 'string' && r.composite !== true && !isBuiltInRole(r.name))
      .map((r) => r.name as string);
  }

  /**
   * `GET {admin}/users?q=api-key:<value>&exact=true`, then an exact match on the attribute: the active user holding
   * this api-key, or null (unknown, ambiguous, disabled, or not valid yet).
   */
  async findUserByApiKey(apiKey: string): Promise<KeycloakUser | null> {
    // Keycloak's `q` syntax separates key:value pairs with spaces: such a value cannot be an api-key lookup.
    if (apiKey === '' || /\s/.test(apiKey)) return null;
    const users =
      (await this.get<KeycloakUser[]>('users', {
        q: `api-key:${apiKey}`,
        exact: 'true',
        briefRepresentation: 'false',
      })) ?? [];
    const user = userWithApiKey(Array.isArray(users) ? users : [], apiKey);
    if (user === 'ambiguous') {
      this.logger.error('several Keycloak users hold the same api-key: refused');
      return null;
    }
    if (!user) return null;
    if (!userIsActive(user, Math.floor(Date.now() / 1000))) {
      this.logger.warn(`api-key of Keycloak user ${user.id} refused: the user is disabled or not valid yet`);
      return null;
    }
    return user;
  }

  /** `GET {admin}/users/{id}`: the user, or null when Keycloak does not know it. */
  async getUser(id: string): Promise<KeycloakUser | null> {
    const user = await this.get<KeycloakUser>(`users/${encodeURIComponent(id)}`);
    return user && typeof user.username === 'string' ? user : null;
  }

  /** `GET {admin}/users/{id}/role-mappings/realm/composite`: the user's effective realm role names. */
  async effectiveRealmRoles(id: string): Promise<string[]> {
    const roles =
      (await this.get<RoleRepresentation[]>(`users/${encodeURIComponent(id)}/role-mappings/realm/composite`)) ?? [];
    return roles.filter((r) => typeof r.name === 'string').map((r) => r.name as string);
  }

  /** A GET on the admin API: the JSON body, or null on 404. Retries once with a fresh token on 401. */
  private async get<T>(path: string, query: Record<string, string> = {}): Promise<T | null> {
    const url = new URL(path, this.admin.adminUri);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    // What a log line may say about the request: the path, never the query (it can hold an api-key).
    const where = `GET ${url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      let res: Response;
      try {
        res = await fetch(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
      } catch (err) {
        this.metrics?.peerCall('keycloak', 'admin-api', false);
        this.logger.error(`Keycloak admin API ${where} failed: ${describe(err)}`);
        throw new KeycloakUnavailableError('Keycloak admin API unreachable');
      }
      this.metrics?.peerCall('keycloak', 'admin-api', res.ok || res.status === 404);
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.token = undefined;
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) {
        await res.body?.cancel();
        const hint =
          res.status === 401 || res.status === 403
            ? ' (does the admin client have the realm-management roles view-users and view-realm?)'
            : '';
        this.logger.error(`Keycloak admin API ${where} answered ${res.status}${hint}`);
        throw new KeycloakUnavailableError(`Keycloak admin API answered ${res.status}`);
      }
      try {
        return (await res.json()) as T;
      } catch (err) {
        this.logger.error(`Keycloak admin API ${where} answered a body that is not JSON: ${describe(err)}`);
        throw new KeycloakUnavailableError('Keycloak admin API answered nonsense');
      }
    }
  }

  /** The admin client's access token (client credentials), cached until 30 s (or a tenth of its life) before expiry. */
  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token.value);
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const configuration = await this.issuer.configuration();
    try {
      const response = await oidc.clientCredentialsGrant(configuration);
      this.metrics?.peerCall('keycloak', 'client-credentials', true);
      const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : 60;
      const margin = Math.min(30, lifetime / 10);
      this.token = { value: response.access_token, refreshAt: Date.now() + (lifetime - margin) * 1000 };
      return response.access_token;
    } catch (err) {
      this.metrics?.peerCall('keycloak', 'client-credentials', false);
      const refused = err instanceof oidc.ResponseBodyError;
      this.logger.error(
        `the client-credentials grant of ${this.admin.clientId} failed: ${describe(err)}` +
          (refused ? ' (check KEYCLOAK_CLIENT_SECRET and that the client has service accounts enabled)' : ''),
      );
      throw new KeycloakUnavailableError('admin token unavailable');
    }
  }
}
