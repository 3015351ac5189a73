import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { closeHttpServer } from './net';

/** A realm role as Keycloak's RoleRepresentation shows it; `composites` lists the realm roles it contains. */
export interface StandInRole {
  name: string;
  composite?: boolean;
  composites?: string[];
}

/** A user as Keycloak's UserRepresentation shows it, plus its direct realm role mappings. */
export interface StandInUser {
  id: string;
  username: string;
  enabled: boolean;
  notBefore?: number;
  attributes?: Record<string, string[]>;
  realmRoles: string[];
}

export interface StandInRealm {
  name: string;
  roles: StandInRole[];
  users: StandInUser[];
}

/**
 * A STAND-IN for Keycloak's admin REST API: no Keycloak can run here (no Docker engine, no JVM), so this small
 * node:http server speaks the documented contract of the few endpoints the service uses, under
 * /admin/realms/{realm}/ (Keycloak Admin REST API, "Roles", "Users", "Role Mapper"):
 *
 * - `GET roles` -> RoleRepresentation[] (id, name, description, composite, clientRole, containerId);
 * - `GET users?q=key:value&exact=true&briefRepresentation=false` -> UserRepresentation[] whose custom attributes
 *   match the `q` search query (space-separated key:value pairs; exact or substring);
 * - `GET users/{id}` -> UserRepresentation, or 404 `{"error": "User not found"}`;
 * - `GET users/{id}/role-mappings/realm/composite` -> the effective realm RoleRepresentation[] (direct roles, the
 *   roles of composites, and the realm's default-roles-{realm} composite with offline_access and uma_authorization).
 *
 * Every call needs `Authorization: Bearer <token>` where the token is a live client-credentials token that the test
 * OpenID provider issued to admin-cli (checked through `isAdminToken`); otherwise 401. The token endpoint is the
 * provider's own (a real oidc-provider grant), as Keycloak's admin-cli token comes from the realm's token endpoint.
 */
export class KeycloakAdminStandIn {
  private server?: Server;
  port = 0;
  /** Every request as "METHOD path" (no query), for assertions on what the service asked. */
  readonly requests: string[] = [];
  /** Answer every admin call with this status (simulates a failing Keycloak); undefined = behave. */
  failWith?: number;

  constructor(
    readonly realm: StandInRealm,
    private readonly isAdminToken: (token: string) => Promise<boolean>,
  ) {}

  /** KEYCLOAK_ADMIN_URI for this stand-in. */
  get adminUri(): string {
    return `http://127.0.0.1:${this.port}/admin/realms/${this.realm.name}/`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private allRoles(): StandInRole[] {
    const defaults: StandInRole = {
      name: `default-roles-${this.realm.name}`,
      composite: true,
      composites: ['offline_access', 'uma_authorization'],
    };
    return [defaults, { name: 'offline_access' }, { name: 'uma_authorization' }, ...this.realm.roles];
  }

  private representation(role: StandInRole): Record<string, unknown> {
    return {
      id: `role-${role.name}`,
      name: role.name,
      description: `\${role_${role.name}}`,
      composite: role.composite === true,
      clientRole: false,
      containerId: `realm-${this.realm.name}`,
    };
  }

  private userRepresentation(user: StandInUser): Record<string, unknown> {
    return {
      id: user.id,
      username: user.username,
      enabled: user.enabled,
      emailVerified: false,
      createdTimestamp: 1700000000000,
      totp: false,
      notBefore: user.notBefore ?? 0,
      attributes: user.attributes ?? {},
      disableableCredentialTypes: [],
      requiredActions: [],
      access: { manage: true },
    };
  }

  private effectiveRoles(user: StandInUser): StandInRole[] {
    const byName = new Map(this.allRoles().map((r) => [r.name, r]));
    const out = new Map<string, StandInRole>();
    const visit = (name: string) => {
      const role = byName.get(name);
      if (!role || out.has(name)) return;
      out.set(name, role);
      for (const inner of role.composites ?? []) visit(inner);
    };
    visit(`default-roles-${this.realm.name}`);
    for (const r of user.realmRoles) visit(r);
    return [...out.values()];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    this.requests.push(`${req.method} ${url.pathname}`);
    const base = `/admin/realms/${this.realm.name}/`;
    if (!url.pathname.startsWith(base)) return send(res, 404, { error: 'Realm not found.' });
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1];
    if (!token || !(await this.isAdminToken(token))) return send(res, 401, { error: 'HTTP 401 Unauthorized' });
    if (req.method !== 'GET') return send(res, 405, { error: 'HTTP 405 Method Not Allowed' });
    if (this.failWith) return send(res, this.failWith, { error: 'unknown_error' });

    const parts = url.pathname.slice(base.length).split('/').map(decodeURIComponent);
    if (parts.length === 1 && parts[0] === 'roles') {
      return send(
        res,
        200,
        this.allRoles().map((r) => this.representation(r)),
      );
    }
    if (parts.length === 1 && parts[0] === 'users') {
      return send(
        res,
        200,
        this.searchUsers(url.searchParams).map((u) => this.userRepresentation(u)),
      );
    }
    const user = parts[0] === 'users' ? this.realm.users.find((u) => u.id === parts[1]) : undefined;
    if (parts[0] === 'users' && parts.length === 2) {
      return user ? send(res, 200, this.userRepresentation(user)) : send(res, 404, { error: 'User not found' });
    }
    if (parts[0] === 'users' && parts.slice(2).join('/') === 'role-mappings/realm/composite') {
      return user
        ? send(
            res,
            200,
            this.effectiveRoles(user).map((r) => this.representation(r)),
          )
        : send(res, 404, { error: 'User not found' });
    }
    return send(res, 404, { error: 'HTTP 404 Not Found' });
  }

  /** `q` is "key1:value1 key2:value2" (custom attributes); `exact=true` requires equal values, else substrings. */
  private searchUsers(params: URLSearchParams): StandInUser[] {
    const q = params.get('q');
    const exact = params.get('exact') === 'true';
    if (!q) return this.realm.users;
    const criteria = q
      .trim()
      .split(/\s+/)
      .map((pair) => {
        const i = pair.indexOf(':');
        return i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      });
    return this.realm.users.filter((u) =>
      criteria.every(([key, value]) => {
        const values = u.attributes?.[key] ?? [];
        return values.some((v) => (exact ? v === value : v.toLowerCase().includes(value.toLowerCase())));
      }),
    );
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeHttpServer(server);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
