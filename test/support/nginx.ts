/**
 * The real nginx (a test peer: scripts/install-test-peers.sh) started in the foreground for a suite, on a loopback port
 * of its own, with its pid, logs and temp folders in a folder of its own.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './net';

export function nginxBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin']) {
    const path = join(dir, 'nginx');
    if (dir && spawnSync(path, ['-v']).status === 0) return path;
  }
  throw new Error('nginx is not installed: install it with scripts/install-test-peers.sh (as root)');
}

function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((done, fail) => {
    const attempt = () => {
      if (!alive()) return fail(new Error('nginx exited during start-up'));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) fail(new Error(`nginx did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

export interface RunningNginx {
  port: number;
  /** What nginx wrote to its error log so far. */
  errors(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with `httpBody(work, port)` inside its `http` block (a `server` listening on 127.0.0.1:port, or an
 * `include` of a file written there); `stop()` ends it (TERM, then KILL) and removes its folder, and a failed start
 * stops and removes it before throwing.
 */
export async function startNginx(
  name: string,
  httpBody: (work: string, port: number) => string,
  connections = 256,
): Promise<RunningNginx> {
  const binary = nginxBinary();
  const work = mkdtempSync(join(tmpdir(), `orthanc-auth-nginx-${name.replace(/\W+/g, '-')}-`));
  chmodSync(work, 0o755);
  let child: ChildProcess | undefined;
  let exited = false;
  const stop = async () => {
    if (child && !exited) {
      const gone = new Promise<void>((done) => child!.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const port = await closedPort();
    const temp = (dirName: string) => {
      const dir = join(work, dirName);
      mkdirSync(dir);
      chmodSync(dir, 0o777); // nginx's workers run as nobody when the master is root
      return dir;
    };
    const conf = [
      `pid ${work}/nginx.pid;`,
      `error_log ${work}/error.log warn;`,
      'worker_processes 1;',
      `events { worker_connections ${connections}; }`,
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${temp('body')};`,
      `  proxy_temp_path ${temp('proxy')};`,
      `  fastcgi_temp_path ${temp('fastcgi')};`,
      `  uwsgi_temp_path ${temp('uwsgi')};`,
      `  scgi_temp_path ${temp('scgi')};`,
      `  ${httpBody(work, port)}`,
      '}',
      '',
    ].join('\n');
    writeFileSync(join(work, 'nginx.conf'), conf);
    const test = spawnSync(binary, ['-t', '-q', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t failed for ${name}: ${test.stderr}`);
    child = spawn(binary, ['-p', work, '-c', join(work, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    child.once('exit', () => (exited = true));
    await waitForPort(port, 20_000, () => !exited);
    const errors = () => {
      try {
        return readFileSync(join(work, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    return { port, errors, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
