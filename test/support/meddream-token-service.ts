import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** How the fake token service answers the next request. */
export type MedDreamMode = 'token' | 'error-500' | 'hang' | 'empty' | 'html-page';

export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

/**
 * A real HTTP server speaking the MedDream token-service contract: `POST /v3/generate` with
 * `{"items": [{"studies": {"study", "storage"}}]}` answers a token as plain text. Each token is new
 * (`md-token-1`, `md-token-2`, ...). `mode` makes it fail the ways a real one can.
 */
export class FakeMedDreamTokenService {
  mode: MedDreamMode = 'token';
  readonly received: ReceivedRequest[] = [];
  private issued = 0;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3/generate`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // kept as text: the assertion shows it
    }
    this.received.push({
      method: req.method ?? '',
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      body,
    });
    if (req.method !== 'POST' || req.url !== '/v3/generate') {
      res.writeHead(404).end('not found');
      return;
    }
    switch (this.mode) {
      case 'token':
        this.issued += 1;
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`md-token-${this.issued}\n`);
        return;
      case 'error-500':
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
        return;
      case 'html-page':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>\n<body>Please log in</body>\n</html>');
        return;
      case 'empty':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('  \n');
        return;
      case 'hang':
        // Never answers: the service under test must give up after MEDDREAM_TIMEOUT.
        this.hanging.add(res);
        return;
    }
  }
}
