/**
 * The share page behind the real nginx, with the `location /share/` block of each compose setup's nginx config (its
 * upstream swapped for this test's service): the page and its forms go through, and the client address the lockout
 * counts is the one nginx saw, whatever X-Forwarded-For the client sent. nginx is a test peer
 * (scripts/install-test-peers.sh): missing, this suite fails with the install command.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunningApp, startApp } from './support/app';
import { closedPort } from './support/net';
import { createProtected, formTokenOf, postForm } from './support/share-page';

const ROOT = resolve(__dirname, '..');
const SETUPS = ['basic-auth', 'keycloak', 'keycloak-inbox', 'keycloak-meddream'];

function nginxBinary(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && spawnSync(join(dir, 'nginx'), ['-v']).status === 0) return join(dir, 'nginx');
  }
  throw new Error('nginx is not installed: install it with sudo scripts/install-test-peers.sh');
}

/** The setup's `location /share/ { ... }` block, as written. */
function shareLocation(setup: string): string {
  const text = readFileSync(join(ROOT, 'docker', setup, 'nginx', 'default.conf'), 'utf8').replace(/#.*$/gm, '');
  const start = text.indexOf('location /share/ {');
  if (start < 0) throw new Error(`${setup}: no location /share/ in its nginx config`);
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`${setup}: unbalanced location /share/`);
}

function waitForPort(port: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
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
        if (Date.now() > deadline) fail(new Error(`nginx did not listen on ${port} within 20 s`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

describe.each(SETUPS)("the share page behind the real nginx, with %s's location /share/", (setup) => {
  let svc: RunningApp | undefined;
  let child: ChildProcess | undefined;
  let exited = false;
  let base: string;
  const work = mkdtempSync(join(tmpdir(), `orthanc-auth-share-nginx-${setup}-`));

  beforeAll(async () => {
    chmodSync(work, 0o755);
    // nginx is the trusted proxy; two failures lock an address (the shares' own count, 5, is never reached).
    svc = await startApp({ SHARE_TRUSTED_PROXIES: '127.0.0.1', SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS: '2' });
    const servicePort = new URL(svc.url).port;
    const port = await closedPort();
    const temp = (name: string) => {
      mkdirSync(join(work, name));
      chmodSync(join(work, name), 0o777);
      return join(work, name);
    };
    const location = shareLocation(setup).replace(
      /set \$share_page_upstream orthanc-auth:8000;/,
      `set $share_page_upstream 127.0.0.1:${servicePort};`,
    );
    expect(location).toContain(`127.0.0.1:${servicePort}`);
    writeFileSync(
      join(work, 'nginx.conf'),
      [
        `pid ${work}/nginx.pid;`,
        `error_log ${work}/error.log warn;`,
        'worker_processes 1;',
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${temp('body')};`,
        `  proxy_temp_path ${temp('proxy')};`,
        `  fastcgi_temp_path ${temp('fastcgi')};`,
        `  uwsgi_temp_path ${temp('uwsgi')};`,
        `  scgi_temp_path ${temp('scgi')};`,
        `  server { listen 127.0.0.1:${port}; ${location} }`,
        '}',
        '',
      ].join('\n'),
    );
    const binary = nginxBinary();
    const test = spawnSync(binary, ['-t', '-q', '-p', work, '-c', join(work, 'nginx.conf')], { encoding: 'utf8' });
    if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
    child = spawn(binary, ['-p', work, '-c', join(work, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    child.once('exit', () => (exited = true));
    await waitForPort(port, () => !exited);
    base = `http://127.0.0.1:${port}/share/`;
  });

  afterAll(async () => {
    if (child && !exited) {
      const gone = new Promise<void>((done) => child!.once('exit', () => done()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await svc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the page and its forms; a spoofed X-Forwarded-For does not spread the failures over addresses', async () => {
    const first = await createProtected(svc!.url, { password: 'correct horse battery' });
    const page = await fetch(`${base}?token=${first.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post" action="unlock"');
    // The anti-forgery field of each share's page, read from the service directly as another client.
    const formOf = async (token: string) =>
      formTokenOf(
        await (
          await fetch(`${svc!.url}/share/?token=${token}`, { headers: { 'x-forwarded-for': '203.0.113.99' } })
        ).text(),
      );
    const statuses: number[] = [];
    for (const spoofed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      const { token } = await createProtected(svc!.url, { password: 'correct horse battery' });
      const form = await formOf(token);
      const res = await postForm(`${base}unlock`, { token, form, password: 'wrong' }, { 'x-forwarded-for': spoofed });
      statuses.push(res.status);
    }
    // Counted under the address nginx saw (127.0.0.1), not the three the client claimed: locked at the second.
    expect(statuses).toEqual([403, 429, 429]);
  });
});
