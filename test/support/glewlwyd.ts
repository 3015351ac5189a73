import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair, JWK } from 'jose';
import { closedPort } from './net';

/** Debian's glewlwyd: the binary, its modules and the SQLite schema its package ships. */
export const GLEWLWYD_BIN = '/usr/bin/glewlwyd';
const MODULES = '/usr/lib/glewlwyd';
const SQLITE_SCHEMA = '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz';
/** How to get it, for the one-line failure when it is missing (scripts/test.sh does this as root). */
export const GLEWLWYD_INSTALL =
  'echo "glewlwyd glewlwyd/config_type select No configuration" | debconf-set-selections && ' +
  'apt-get install -y --no-install-recommends glewlwyd dbconfig-no-thanks';

/** The admin login that glewlwyd's schema creates (glewlwyd's documentation: admin / password). */
const ADMIN = { username: 'admin', password: 'password' };

export const CLIENT_ID = 'orthanc-auth';
export const CLIENT_SECRET = 'orthanc-auth-client-secret-for-the-e2e-suite';
export const PLUGIN = 'oidc';

export interface GlewlwydUser {
  username: string;
  password: string;
  name: string;
  roles: string[];
}

export interface GlewlwydTokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
  expires_in: number;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/**
 * A real non-Keycloak OpenID provider: Debian's glewlwyd (2.7), SQLite backend, on a free loopback port, configured
 * non-interactively through its admin REST API as a site would do it from its admin page:
 * - the database user module gets a multi-valued `roles` property;
 * - an `oidc` plugin instance signs with an RS256 key given as a private JWKS, allows the password grant, and maps
 *   the `roles` and `name` user properties into the access tokens (glewlwyd writes a multi-valued property as one
 *   comma-separated string there) and into the ID tokens (as arrays);
 * - a confidential client `orthanc-auth` (client_secret_basic) and a scope `orthanc`;
 * - the users given to start().
 * Tokens come from the password grant. Key rotation and token lifetime go through the plugin's admin API too.
 */
export class TestGlewlwyd {
  private process?: ChildProcess;
  private output: string[] = [];
  private dir = '';
  private cookie = '';
  private keys: JWK[] = [];
  private tokenDuration = 3600;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The issuer (and discovery) URL of the oidc plugin: not a Keycloak /realms/ URL. */
  get issuer(): string {
    return `${this.url}/api/${PLUGIN}`;
  }

  get currentKid(): string {
    return this.keys[0].kid as string;
  }

  /** Fails with one line naming the install command when Debian's glewlwyd is not installed. */
  static assertInstalled(): void {
    if (!existsSync(GLEWLWYD_BIN) || !existsSync(SQLITE_SCHEMA)) {
      throw new Error(`glewlwyd is not installed (${GLEWLWYD_BIN}); as root: ${GLEWLWYD_INSTALL}`);
    }
  }

  async start(users: GlewlwydUser[]): Promise<this> {
    TestGlewlwyd.assertInstalled();
    this.dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-glewlwyd-'));
    const db = new Database(join(this.dir, 'glewlwyd.db'));
    try {
      db.exec(gunzipSync(readFileSync(SQLITE_SCHEMA)).toString('utf8'));
    } finally {
      db.close();
    }
    this.port = await closedPort();
    writeFileSync(join(this.dir, 'glewlwyd.conf'), this.configFile());
    const child = spawn(GLEWLWYD_BIN, ['-c', join(this.dir, 'glewlwyd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 400) this.output.splice(0, 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (err) => this.output.push(`spawn failed: ${err.message}\n`));
    await this.waitUntilUp();
    await this.login();
    await this.configure(users);
    return this;
  }

  /** The last lines glewlwyd printed (for a failing test's message). */
  log(): string {
    return this.output.join('').split('\n').slice(-40).join('\n');
  }

  private configFile(): string {
    return [
      `port=${this.port}`,
      'bind_address="127.0.0.1"',
      `external_url="${this.url}"`,
      'login_url="login.html"',
      'api_prefix="api"',
      'log_mode="console"',
      'log_level="INFO"',
      'cookie_secure=0',
      'session_expiration=3600',
      'session_key="GLEWLWYD2_SESSION_ID"',
      'admin_session_authentication="cookie"',
      'profile_session_authentication="cookie"',
      'admin_scope="g_admin"',
      'profile_scope="g_profile"',
      `user_module_path="${MODULES}/user"`,
      `client_module_path="${MODULES}/client"`,
      `user_auth_scheme_module_path="${MODULES}/scheme"`,
      `plugin_module_path="${MODULES}/plugin"`,
      'use_secure_connection=false',
      // glewlwyd 2.7 refuses to start without these two, even with use_secure_connection=false.
      `secure_connection_key_file="${join(this.dir, 'unused.key')}"`,
      `secure_connection_pem_file="${join(this.dir, 'unused.pem')}"`,
      'hash_algorithm="SHA512"',
      `database = { type = "sqlite3"; path = "${join(this.dir, 'glewlwyd.db')}"; };`,
      '',
    ].join('\n');
  }

  private async waitUntilUp(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.process?.exitCode !== null) throw new Error(`glewlwyd exited at start-up:\n${this.log()}`);
      try {
        const res = await fetch(`${this.url}/config`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`glewlwyd did not answer on ${this.url} within 20 s:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** An admin session (glewlwyd's admin API authenticates with its session cookie). */
  private async login(): Promise<void> {
    const res = await fetch(`${this.url}/api/auth/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = res.headers.get('set-cookie');
    if (res.status !== 200 || !cookie) throw new Error(`glewlwyd admin login answered ${res.status}`);
    this.cookie = cookie.split(';')[0];
  }

  /** A call to the admin REST API; anything but 200 is an error naming the call. */
  async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}/api/${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`glewlwyd ${method} /api/${path} answered ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  private pluginParameters(): Record<string, unknown> {
    return {
      iss: this.issuer,
      'jwks-private': JSON.stringify({ keys: this.keys }),
      'default-kid': this.currentKid,
      'jwks-show': true,
      'access-token-duration': this.tokenDuration,
      'refresh-token-duration': 1209600,
      'code-duration': 600,
      'refresh-token-rolling': true,
      // The password grant is an OAuth2 flow, which glewlwyd's OpenID plugin serves only with allow-non-oidc.
      'allow-non-oidc': true,
      'auth-type-code-enabled': true,
      'auth-type-token-enabled': false,
      'auth-type-id-token-enabled': true,
      'auth-type-none-enabled': false,
      'auth-type-password-enabled': true,
      'auth-type-client-enabled': false,
      'auth-type-refresh-enabled': true,
      'secret-type': 'public',
      scope: [],
      'additional-parameters': [
        { 'user-parameter': 'roles', 'token-parameter': 'roles' },
        { 'user-parameter': 'name', 'token-parameter': 'name' },
      ],
      claims: [
        {
          name: 'roles',
          'user-property': 'roles',
          type: 'string',
          'boolean-value-true': '',
          'boolean-value-false': '',
          mandatory: true,
          'on-demand': false,
          scope: [],
        },
      ],
      'name-claim': 'mandatory',
      'address-claim': { type: 'no' },
    };
  }

  private async configure(users: GlewlwydUser[]): Promise<void> {
    await this.admin('PUT', 'mod/user/database', {
      display_name: 'Database backend',
      order_rank: 0,
      readonly: false,
      multiple_passwords: false,
      parameters: {
        'use-glewlwyd-connection': true,
        'data-format': {
          roles: { multiple: true, read: true, write: true, 'profile-read': false, 'profile-write': false },
        },
      },
    });
    await this.admin('PUT', 'mod/user/database/reset');
    this.keys = [await signingKey()];
    await this.admin('POST', 'mod/plugin/', {
      module: 'oidc',
      name: PLUGIN,
      display_name: 'OpenID Connect',
      enabled: true,
      parameters: this.pluginParameters(),
    });
    await this.admin('POST', 'scope/', {
      name: 'orthanc',
      display_name: 'Orthanc',
      description: 'Orthanc viewers and tools',
      password_required: true,
      password_max_age: 0,
    });
    await this.admin('POST', 'client/', {
      client_id: CLIENT_ID,
      name: 'orthanc-auth',
      confidential: true,
      client_secret: CLIENT_SECRET,
      // A confidential client must name how it authenticates, or glewlwyd refuses it (500 on the password grant).
      token_endpoint_auth_method: ['client_secret_basic'],
      authorization_type: ['password', 'refresh_token'],
      redirect_uri: ['http://127.0.0.1/unused'],
      scope: ['openid', 'orthanc'],
      enabled: true,
    });
    for (const u of users) {
      await this.admin('POST', 'user/', {
        username: u.username,
        password: u.password,
        name: u.name,
        roles: u.roles,
        scope: ['openid', 'orthanc'],
        enabled: true,
      });
    }
  }

  /** Real tokens from the password grant, the client authenticating with HTTP Basic. */
  async password(user: GlewlwydUser): Promise<GlewlwydTokens> {
    const res = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        scope: 'openid orthanc',
      }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`glewlwyd password grant answered ${res.status} ${text}\n${this.log()}`);
    return JSON.parse(text) as GlewlwydTokens;
  }

  private async updatePlugin(): Promise<void> {
    await this.admin('PUT', `mod/plugin/${PLUGIN}`, {
      display_name: 'OpenID Connect',
      enabled: true,
      parameters: this.pluginParameters(),
    });
    // The plugin reads its keys and durations when it starts: reset it (glewlwyd's documented way to rotate keys).
    await this.admin('PUT', `mod/plugin/${PLUGIN}/reset`);
  }

  /** Rotates the signing key through the admin API: a new key signs from now on; the old one stays published unless dropped. */
  async rotateKey(opts: { keepOld: boolean }): Promise<string> {
    const fresh = await signingKey();
    this.keys = opts.keepOld ? [fresh, ...this.keys] : [fresh];
    await this.updatePlugin();
    return this.currentKid;
  }

  /** Sets the lifetime of the access tokens issued from now on. */
  async setAccessTokenDuration(seconds: number): Promise<void> {
    this.tokenDuration = seconds;
    await this.updatePlugin();
  }

  /** Stops glewlwyd (SIGTERM, then SIGKILL after 3 s) and removes its folder. */
  async close(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
