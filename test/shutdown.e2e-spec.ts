import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC, TEST_USERS } from './support/app';

const ROOT = join(__dirname, '..');

/** A MedDream token service that holds each request until the test releases it. */
class HeldTokenService {
  readonly held: ServerResponse[] = [];
  private waiting: (() => void)[] = [];
  private readonly server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      this.held.push(res);
      for (const w of this.waiting.splice(0)) w();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3/generate`;
  }

  /** Resolves once a request is held. */
  received(): Promise<void> {
    return this.held.length ? Promise.resolve() : new Promise((r) => this.waiting.push(r));
  }

  release(): void {
    for (const res of this.held.splice(0)) res.writeHead(200, { 'content-type': 'text/plain' }).end('md-token-1\n');
  }

  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a log line contains `text`. */
  logged(text: string): Promise<void>;
}

/** Starts src/main.ts (the production entry point, compiled on the fly) in a child process. */
async function startService(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.cjs', 'apps/auth-service/src/main.ts'], {
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
  });
  let out = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of watchers.filter((x) => out.includes(x.text))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const logged = (text: string) =>
    out.includes(text) ? Promise.resolve() : new Promise<void>((resolve) => watchers.push({ text, resolve }));
  await Promise.race([
    logged('orthanc-auth listening'),
    exited.then(() => {
      throw new Error(`the service stopped:\n${out}`);
    }),
  ]);
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited, logged };
}

const instantLink = (url: string) =>
  fetch(`${url}/tokens/meddream-instant-link`, {
    method: 'PUT',
    headers: { authorization: BASIC, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'meddream-instant-link',
      resources: [{ 'dicom-uid': '1.2.3', 'orthanc-id': null, level: 'study' }],
    }),
  });

describe('graceful shutdown of the service process (SIGTERM)', () => {
  const meddream = new HeldTokenService();
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'orthanc-auth-shutdown-'));
    env = {
      DATA_DIR: dataDir,
      MEDDREAM_TOKEN_SERVICE_URL: await meddream.start(),
      PUBLIC_MEDDREAM_ROOT: 'https://viewer.example.org/meddream/',
      MEDDREAM_TIMEOUT: '60000',
    };
  });
  afterAll(async () => {
    await meddream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the request in flight, refuses new ones, and exits 0', async () => {
    const svc = await startService({ ...env, SHUTDOWN_TIMEOUT: '20' });
    try {
      const inFlight = instantLink(svc.url);
      await meddream.received(); // the request is now waiting on MedDream
      svc.child.kill('SIGTERM');
      await svc.logged('SIGTERM: finishing the requests in flight');
      // A new request is not served while stopping: refused, or a 503 (fastify's return503OnClosing).
      const late = await fetch(`${svc.url}/health`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(late);
      meddream.release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { url: string }).url).toContain('token=md-token-1');
      // Exit 0, not the forced exit (1) of SHUTDOWN_TIMEOUT: it stopped as soon as the request was answered.
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      for (const line of svc
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{')))
        expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      svc.child.kill('SIGKILL');
    }
  });

  it('exits anyway (code 1) after SHUTDOWN_TIMEOUT when a request hangs', async () => {
    const svc = await startService({ ...env, SHUTDOWN_TIMEOUT: '1' });
    try {
      const inFlight = instantLink(svc.url).catch(() => 'dropped');
      await meddream.received();
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toEqual({ code: 1, signal: null });
      expect(svc.output()).toContain('requests still in flight after 1 s; exiting anyway');
      await inFlight;
    } finally {
      svc.child.kill('SIGKILL');
      meddream.release();
    }
  });

  it('cluster mode: the primary passes SIGTERM on and exits 0 once the workers are done', async () => {
    const svc = await startService({ ...env, WORKERS: '2', SHUTDOWN_TIMEOUT: '20' });
    try {
      const inFlight = instantLink(svc.url);
      await meddream.received();
      svc.child.kill('SIGTERM');
      await svc.logged('SIGTERM: stopping 2 workers');
      meddream.release();
      expect((await inFlight).status).toBe(200);
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      // The primary's lines are JSON like the workers'.
      expect(svc.output()).toMatch(/^\{.*"context":"Cluster".*"msg":"SIGTERM: stopping 2 workers"/m);
    } finally {
      svc.child.kill('SIGKILL');
    }
  });
});
