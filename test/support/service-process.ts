import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TEST_USERS } from './app';

const ROOT = join(__dirname, '../..');

/**
 * How long a service process may take to start: it compiles main.ts and the libraries with swc on its first run
 * (cached afterwards), and the machine may be running other builds and suites (2 shared cores).
 */
export const SERVICE_START_TIMEOUT_MS = 90_000;

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** The lines written so far (stdout and stderr, in order of arrival). */
  lines(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the output contains `text`; rejects if the process exits first, or after `timeoutMs`. */
  logged(text: string, timeoutMs?: number): Promise<void>;
  /** Kills the whole process group (the primary and its workers in cluster mode) and waits for the exit. */
  kill(): Promise<void>;
}

/** Every service process started and not yet reaped: {@link stopServiceProcesses} kills what a test left. */
const running = new Set<ServiceProcess>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The production entry point (apps/auth-service/src/main.ts, compiled on the fly by swc like jest does) in a child
 * process of its own process group, on a free port, with exactly the given environment (the test callers and key by
 * default, nothing of the developer's). Registered at once, so that {@link stopServiceProcesses} in `afterAll` kills it
 * even when its start fails or times out. `waitFor` (default: the "listening" line) is awaited before returning; null
 * returns at once (for a process expected to fail).
 */
export async function startServiceProcess(
  env: Record<string, string>,
  opts: { waitFor?: string | null; timeoutMs?: number; entry?: string; asUser?: RunAs } = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const node = [process.execPath, '-r', './test/support/ts-register.cjs', opts.entry ?? ENTRY];
  // As another user: setpriv (util-linux) switches before node starts; the suites themselves run as root here.
  const [command, ...args] = opts.asUser
    ? ['setpriv', `--reuid=${opts.asUser.uid}`, `--regid=${opts.asUser.gid}`, '--clear-groups', ...node]
    : node;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_FORMAT: 'json',
      USERS: JSON.stringify(TEST_USERS),
      SECRET_KEY: 'test-secret-key-for-the-e2e-suites-only',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: killing -pid reaches the cluster's workers too.
    detached: true,
  });
  let out = '';
  const watchers = new Set<{ text: string; resolve: () => void }>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of watchers) {
      if (out.includes(w.text)) {
        watchers.delete(w);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  const logged = (text: string, timeoutMs = SERVICE_START_TIMEOUT_MS): Promise<void> => {
    if (out.includes(text)) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const watcher = { text, resolve: (): void => undefined };
    const seen = new Promise<void>((resolve) => {
      watcher.resolve = resolve;
      watchers.add(watcher);
    });
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`"${text}" not logged within ${timeoutMs} ms; output:\n${out}`)),
        timeoutMs,
      );
      void exited.then(({ code, signal }) => {
        // The line may have come with the last output: the exit is a failure only if it is still missing.
        setImmediate(() =>
          out.includes(text)
            ? undefined
            : reject(new Error(`the service exited (${signal ?? code}) before logging "${text}":\n${out}`)),
        );
      });
    });
    return Promise.race([seen, failed]).finally(() => {
      clearTimeout(timer);
      watchers.delete(watcher);
    });
  };

  const svc: ServiceProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    lines: () => out.split('\n').filter((l) => l.length > 0),
    exited,
    logged,
    async kill() {
      if (!gone) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is gone already; the leader may not be
        }
        await exited;
      }
      // Workers outlive a killed primary only for a moment; the group kill above reached them too. Reap the group.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* nothing left */
      }
      running.delete(svc);
    },
  };
  running.add(svc);
  void exited.then(() => {
    if (!running.has(svc)) return;
    // Exited by itself (a test's SIGTERM, a start-up failure): still reap its group, then forget it.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* nothing left */
    }
    running.delete(svc);
  });
  if (opts.waitFor !== null) {
    try {
      await logged(opts.waitFor ?? 'orthanc-auth listening', opts.timeoutMs ?? SERVICE_START_TIMEOUT_MS);
    } catch (err) {
      await svc.kill();
      throw err;
    }
  }
  return svc;
}

const ENTRY = 'apps/auth-service/src/main.ts';

/** A user to run the service as (see startServiceProcess's `asUser`). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Kills every service process still running (for `afterAll`: whatever a test did, nothing is left behind). */
export async function stopServiceProcesses(): Promise<void> {
  await Promise.all([...running].map((svc) => svc.kill()));
}
