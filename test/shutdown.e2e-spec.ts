import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC } from './support/app';
import { SERVICE_START_TIMEOUT_MS, startServiceProcess, stopServiceProcesses } from './support/service-process';

/** Each test starts the service process (compiled on the fly) and stops it: minutes on a loaded machine, not seconds. */
const TEST_TIMEOUT_MS = SERVICE_START_TIMEOUT_MS + 60_000;

/** A GET on a connection of its own: status, headers and JSON body, or 'refused'. */
function getOnNewConnection(
  url: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: unknown } | 'refused'> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on('error', () => resolve('refused'));
  });
}

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
  afterEach(async () => {
    // Whatever a test did (a failed assertion, a start that timed out), its service processes are gone after it.
    await stopServiceProcesses();
    meddream.release();
  });
  afterAll(async () => {
    await meddream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'finishes the request in flight, answers new requests 503 JSON with Connection: close, and exits 0',
    async () => {
      const svc = await startServiceProcess({ ...env, SHUTDOWN_TIMEOUT: '60' });
      const inFlight = instantLink(svc.url);
      await meddream.received(); // the request is now waiting on MedDream
      svc.child.kill('SIGTERM');
      await svc.logged('SIGTERM: finishing the requests in flight');
      // While the request in flight finishes, the socket still listens: a new connection gets the 503, at once.
      for (const path of ['/health', '/tokens/validate']) {
        const late = await getOnNewConnection(`${svc.url}${path}`);
        expect(late).not.toBe('refused');
        if (late === 'refused') return;
        expect(late.status).toBe(503);
        expect(late.headers.connection).toBe('close');
        expect(late.headers['content-type']).toMatch(/^application\/json/);
        expect(late.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: [expect.stringContaining('the service is stopping')],
        });
      }
      meddream.release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { url: string }).url).toContain('token=md-token-1');
      // Exit 0, not the forced exit (1) of SHUTDOWN_TIMEOUT: it stopped as soon as the request was answered.
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      for (const line of svc.lines()) expect(() => JSON.parse(line)).not.toThrow();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exits anyway (code 1) after SHUTDOWN_TIMEOUT when a request hangs',
    async () => {
      const svc = await startServiceProcess({ ...env, SHUTDOWN_TIMEOUT: '1' });
      const inFlight = instantLink(svc.url).catch(() => 'dropped');
      await meddream.received();
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toEqual({ code: 1, signal: null });
      expect(svc.output()).toContain('requests still in flight after 1 s; exiting anyway');
      await inFlight;
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cluster mode: the primary passes SIGTERM on and exits 0 once the workers are done',
    async () => {
      const svc = await startServiceProcess(
        { ...env, WORKERS: '2', SHUTDOWN_TIMEOUT: '60' },
        { waitFor: 'orthanc-auth listening with 2 workers' },
      );
      const inFlight = instantLink(svc.url);
      await meddream.received();
      svc.child.kill('SIGTERM');
      await svc.logged('SIGTERM: stopping 2 workers');
      meddream.release();
      expect((await inFlight).status).toBe(200);
      expect(await svc.exited).toEqual({ code: 0, signal: null });
      // The primary's lines are JSON like the workers'.
      expect(svc.output()).toMatch(/^\{.*"context":"Cluster".*"msg":"SIGTERM: stopping 2 workers"/m);
    },
    TEST_TIMEOUT_MS,
  );
});
