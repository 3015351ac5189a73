import { createServer, request as httpRequest, RequestOptions, Server } from 'node:http';

/** A loopback port on which nothing listens (a peer that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Closes a test peer's HTTP server now, keep-alive connections included. */
export async function closeHttpServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface RawAnswer {
  status: number;
  contentType: string | undefined;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One request sent with node:http exactly as given (a raw header array keeps repeated names and their order; the
 * body, when there is one, in one write), its whole answer read. No answer within 20 s fails, naming `what`.
 */
export function rawRequest(options: RequestOptions, body?: string, what = String(options.path)): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text, json });
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${what} within 20 s`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
