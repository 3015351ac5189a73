/**
 * What an operator sees when the service starts: the production entry point (main.ts) in a child process. In JSON
 * every line is JSON from the first (the generated-login notice included, without the password); one line says which
 * features are on and why the others are off; a start-up failure is one clean message naming the variable, never a
 * stack trace. `GET /` points to the documentation and health routes.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { closedPort } from './support/net';
import { describeWithPostgres, TEST_DATABASE_URL } from './support/postgres';
import {
  RunAs,
  SERVICE_START_TIMEOUT_MS,
  ServiceProcess,
  startServiceProcess,
  stopServiceProcesses,
} from './support/service-process';

const TIMEOUT = SERVICE_START_TIMEOUT_MS + 30_000;
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-startup-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => stopServiceProcesses());
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A service process expected to stop at start-up: its exit code and everything it wrote. */
async function failedStart(
  env: Record<string, string>,
  asUser?: RunAs,
): Promise<{ code: number | null; lines: string[] }> {
  const svc: ServiceProcess = await startServiceProcess({ DATA_DIR: freshDir(), ...env }, { waitFor: null, asUser });
  const { code } = await svc.exited;
  return { code, lines: svc.lines() };
}

const STACK_FRAME = /^\s+at |\\n\s+at /m;

describe('start-up of the service process', () => {
  it(
    'LOG_FORMAT=json: every line is JSON from the first, the generated login is announced without its password, misspelled settings are named, and one line lists the features',
    async () => {
      const dataDir = freshDir();
      // No USERS: the service generates the caller login (and says so), as on a newcomer's first start.
      // Two misspelled settings, as a newcomer types them: each is one warning naming the setting it likely meant.
      const svc = await startServiceProcess({ DATA_DIR: dataDir, USERS: '', SECRET_KEYS: 'k', ORTHANC_ROOT: 'x' });
      const lines = svc.lines();
      const parsed = lines.map((line) => {
        expect(() => JSON.parse(line)).not.toThrow();
        return JSON.parse(line) as { level: string; msg: string; features?: Record<string, unknown> };
      });
      const password = (JSON.parse(readFileSync(join(dataDir, 'users.json'), 'utf8')) as Record<string, string>)[
        'share-user'
      ];
      expect(password).toBeTruthy();
      expect(svc.output()).not.toContain(password);
      expect(parsed).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: expect.stringContaining(`generated the caller login share-user, its password is in ${dataDir}`),
        }),
      );
      expect(parsed.filter((l) => l.msg.includes('is not a setting of orthanc-auth'))).toEqual([
        expect.objectContaining({
          level: 'warn',
          msg: 'ORTHANC_ROOT is not a setting of orthanc-auth and is ignored: did you mean PUBLIC_ORTHANC_ROOT? Rename it.',
        }),
        expect.objectContaining({
          level: 'warn',
          msg: 'SECRET_KEYS is not a setting of orthanc-auth and is ignored: did you mean SECRET_KEY? Rename it.',
        }),
      ]);
      const features = parsed.filter((l) => l.msg.startsWith('Features: '));
      expect(features).toHaveLength(1);
      expect(features[0].features).toEqual({
        links: [
          'stone-viewer-publication',
          'volview-viewer-publication',
          'osimis-viewer-publication',
          'viewer-instant-link',
          'download-instant-link',
        ],
        linksOff: {
          'ohif-viewer-publication': 'set PUBLIC_OHIF_ROOT',
          'meddream-viewer-publication':
            'set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT and PUBLIC_LANDING_ROOT',
          'meddream-instant-link': 'set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT',
        },
        keycloak: expect.stringMatching(/^off/),
        emails: 'off',
        meddream: expect.stringMatching(/^off/),
        registry: `SQLite ${join(dataDir, 'shares.sqlite')}`,
        // Outside production the share page defaults to this service's own /share/, on the PORT it listens on.
        protectedLinks: `on, share page http://localhost:${svc.port}/share/, e-mailed codes off (e-mails off)`,
        dataDir,
        rolesFile: join(dataDir, 'permissions.json'),
      });
      expect(features[0].msg).toContain(`share registry: SQLite ${join(dataDir, 'shares.sqlite')}`);
    },
    TIMEOUT,
  );

  it(
    'LOG_FORMAT=pretty: the generated password is shown once to the person at the terminal, and the features line is one line',
    async () => {
      const dataDir = freshDir();
      const svc = await startServiceProcess({ DATA_DIR: dataDir, USERS: '', LOG_FORMAT: 'pretty' });
      const password = (JSON.parse(readFileSync(join(dataDir, 'users.json'), 'utf8')) as Record<string, string>)[
        'share-user'
      ];
      expect(svc.output()).toContain(`generated the caller login share-user with password ${password}`);
      expect(svc.lines().filter((l) => l.includes('Features: links: '))).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'a wrong setting: one clean message naming the variable, no stack trace, exit 1 (JSON: one fatal line; cluster: once)',
    async () => {
      const [json, pretty, cluster, inNest] = await Promise.all([
        failedStart({ PUBLIC_MEDDREAM_ROOT: 'nope' }),
        failedStart({ PUBLIC_MEDDREAM_ROOT: 'nope', LOG_FORMAT: 'pretty' }),
        failedStart({ ENABLE_EMAILS: 'true', WORKERS: '2' }),
        // Found while Nest builds the application (a provider reads the file): Nest's own error line is not shown.
        failedStart({ PERMISSIONS_FILE_PATH: '/nonexistent/permissions.json' }),
      ]);
      for (const run of [json, pretty, cluster, inNest]) {
        expect(run.code).toBe(1);
        expect(run.lines.join('\n')).not.toMatch(STACK_FRAME);
      }
      expect(JSON.parse(json.lines[json.lines.length - 1])).toMatchObject({
        level: 'fatal',
        variable: 'PUBLIC_MEDDREAM_ROOT',
        msg: expect.stringContaining('PUBLIC_MEDDREAM_ROOT expects an absolute http(s) URL'),
      });
      expect(json.lines).toHaveLength(1);
      for (const line of inNest.lines) expect(() => JSON.parse(line)).not.toThrow();
      expect(pretty.lines).toEqual([
        'orthanc-auth could not start: Configuration error: PUBLIC_MEDDREAM_ROOT expects an absolute http(s) URL, got "nope"',
      ]);
      expect(cluster.lines).toHaveLength(1);
      expect(JSON.parse(cluster.lines[0])).toMatchObject({ variable: 'EMAILS_SMTP_SERVER_HOSTNAME' });
      expect(JSON.parse(inNest.lines[inNest.lines.length - 1])).toMatchObject({
        level: 'fatal',
        variable: 'PERMISSIONS_FILE_PATH',
      });
      expect(inNest.lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'DATABASE_URL naming a server that is down: the message names DATABASE_URL, never its password',
    async () => {
      const port = await closedPort();
      const run = await failedStart({ DATABASE_URL: `postgres://auth:s3cret-pw@127.0.0.1:${port}/orthanc_auth` });
      expect(run.code).toBe(1);
      const fatal = JSON.parse(run.lines[run.lines.length - 1]);
      expect(fatal).toMatchObject({ level: 'fatal', variable: 'DATABASE_URL' });
      expect(fatal.msg).toContain(`127.0.0.1:${port}/orthanc_auth`);
      expect(fatal.msg).toContain('ECONNREFUSED');
      expect(run.lines.join('\n')).not.toContain('s3cret-pw');
      expect(run.lines.join('\n')).not.toMatch(STACK_FRAME);
    },
    TIMEOUT,
  );
});

describe('start-up on a machine that refuses what the settings ask: one line naming the setting', () => {
  it(
    'PORT in use: one line naming PORT and HOST, and no "successfully started" before it',
    async () => {
      const busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as { port: number }).port;
      try {
        const [json, pretty] = await Promise.all([
          failedStart({ PORT: String(port) }),
          failedStart({ PORT: String(port), LOG_FORMAT: 'pretty' }),
        ]);
        for (const run of [json, pretty]) {
          expect(run.code).toBe(1);
          expect(run.lines.join('\n')).not.toMatch(/successfully started/);
          // Nothing but the one line says what went wrong (Nest's own "Error: listen EADDRINUSE" line is not shown).
          expect(run.lines.filter((l) => /EADDRINUSE|error|fatal|could not start/i.test(l))).toHaveLength(1);
          expect(run.lines.join('\n')).not.toMatch(STACK_FRAME);
        }
        expect(JSON.parse(json.lines[json.lines.length - 1])).toMatchObject({
          level: 'fatal',
          variable: 'PORT',
          msg: `orthanc-auth could not start: Configuration error: PORT ${port} is already in use on 127.0.0.1 (HOST): stop the program listening on 127.0.0.1:${port}, or set PORT to a free port`,
        });
        expect(json.lines.filter((l) => l.includes('"level":"fatal"'))).toHaveLength(1);
        expect(pretty.lines.filter((l) => l.includes('could not start'))).toEqual([
          `orthanc-auth could not start: Configuration error: PORT ${port} is already in use on 127.0.0.1 (HOST): stop the program listening on 127.0.0.1:${port}, or set PORT to a free port`,
        ]);
      } finally {
        await new Promise<void>((resolve) => busy.close(() => resolve()));
      }
    },
    TIMEOUT,
  );

  it(
    "a DATA_DIR that the service's user cannot write (run as nobody): one line naming DATA_DIR, the folder and the user",
    async () => {
      // The suites run as root, whom no folder refuses: the service runs as nobody, with a folder of its own for its
      // swc caches (swc refuses a cache folder that other users could replace: /tmp's own is root's).
      const nobody: RunAs = { uid: 65534, gid: 65534 };
      const top = freshDir();
      chmodSync(top, 0o755);
      const tmp = join(top, 'nobody');
      mkdirSync(tmp, { mode: 0o700 });
      chownSync(tmp, nobody.uid, nobody.gid);
      const ownEnv = { TMPDIR: tmp, SWC_NATIVE_BINDING_CACHE: join(tmp, 'swc') };
      const root = join(top, 'root-only'); // root's, 0700: nobody may create nothing in it
      mkdirSync(root, { mode: 0o700 });
      const [generatedKey, sqlite] = await Promise.all([
        // No SECRET_KEY: the first file written is the generated key (the issue's `open '.../.secret-key...tmp'`).
        failedStart({ DATA_DIR: join(root, 'data'), SECRET_KEY: '', ...ownEnv }, nobody),
        // Every secret given: the first file written is the SQLite share registry.
        failedStart({ DATA_DIR: join(root, 'data2'), ...ownEnv }, nobody),
      ]);
      for (const [run, dir] of [
        [generatedKey, join(root, 'data')],
        [sqlite, join(root, 'data2')],
      ] as const) {
        expect(run.code).toBe(1);
        const failure = run.lines.filter((l) => /"level":"(fatal|error)"/.test(l));
        expect(failure).toHaveLength(1);
        expect(failure[0]).toContain('EACCES');
        expect(JSON.parse(failure[0])).toMatchObject({
          level: 'fatal',
          variable: 'DATA_DIR',
          msg: expect.stringContaining(
            `DATA_DIR ${dir} cannot be written by the user the service runs as (nobody, uid 65534): make that user its owner (chown), or set DATA_DIR to a folder it can write (`,
          ),
        });
      }
    },
    TIMEOUT + SERVICE_START_TIMEOUT_MS,
  );
});

describeWithPostgres('start-up with a PostgreSQL registry', () => {
  afterEach(() => stopServiceProcesses());

  it(
    'DATABASE_URL with a wrong password: the message names DATABASE_URL and what PostgreSQL said',
    async () => {
      const url = new URL(TEST_DATABASE_URL!);
      url.password = 'not-the-password';
      const run = await failedStart({ DATABASE_URL: url.toString() });
      expect(run.code).toBe(1);
      const fatal = JSON.parse(run.lines[run.lines.length - 1]);
      expect(fatal).toMatchObject({ level: 'fatal', variable: 'DATABASE_URL' });
      expect(fatal.msg).toContain('password authentication failed');
      expect(run.lines.join('\n')).not.toContain('not-the-password');
    },
    TIMEOUT,
  );
});

describe('GET /', () => {
  let svc: RunningApp | undefined;
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
  });

  it('points to the documentation, health and readiness routes, without credentials', async () => {
    svc = await startApp();
    const res = await call(svc.url, 'GET', '/', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      service: 'orthanc-auth',
      docs: '/docs',
      openapi: '/docs-json',
      health: '/health',
      ready: '/ready',
    });
    expect((await call(svc.url, 'GET', res.body.health, undefined, { auth: null })).status).toBe(200);
    expect((await call(svc.url, 'GET', res.body.openapi, undefined, { auth: null })).status).toBe(200);
  });

  it('follows URL_PREFIX, and says there are no docs when ENABLE_DOCS=false', async () => {
    svc = await startApp({ URL_PREFIX: '/auth', ENABLE_DOCS: 'false' });
    const res = await call(svc.url, 'GET', '', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      service: 'orthanc-auth',
      docs: null,
      openapi: null,
      health: '/auth/health',
      ready: '/auth/ready',
    });
    expect(existsSync(svc.dataDir)).toBe(true);
  });
});
