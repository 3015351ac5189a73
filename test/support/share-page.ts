import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from './app';

/** A study as the suites share it. */
export const STUDY = {
  'dicom-uid': '1.2.840.113619.2.55.3.1',
  'orthanc-id': 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
  level: 'study',
};

/** Creates a stone-viewer publication, protected as `extra` says (password or email-code). */
export async function createProtected(base: string, extra: Record<string, unknown>, validity = 3600) {
  const res = await call(base, 'PUT', '/tokens/stone-viewer-publication', {
    id: 'protected',
    resources: [STUDY],
    type: 'stone-viewer-publication',
    'validity-duration': validity,
    ...extra,
  });
  if (res.status !== 200) throw new Error(`creating a protected link answered ${res.status}: ${res.text}`);
  return res.body as { token: string; url: string; request: Record<string, unknown> };
}

/** What the plugin asks on each access of the viewer: may this token read the shared study? */
export async function validate(base: string, token: string) {
  const res = await call(base, 'POST', '/tokens/validate', {
    'dicom-uid': STUDY['dicom-uid'],
    'orthanc-id': STUDY['orthanc-id'],
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'token-value': token,
  });
  return res.body as { granted: boolean; validity: number };
}

/** The hidden anti-forgery field of a share page. */
export function formTokenOf(html: string): string {
  const m = /name="form" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no form token on the page');
  return m[1];
}

/**
 * Posts one of the page's forms as a browser does (urlencoded). The page answers a browser's form with a 303: to the
 * viewer (unlocked: not followed, as `status` 303 and its `location`), or back to the page itself (POST/redirect/GET:
 * followed with a GET, as the browser does, `status` and `text` then those of the page, `redirected` its address).
 */
export async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const location = res.headers.get('location');
  if (res.status === 303 && location?.startsWith('./?')) {
    await res.arrayBuffer();
    const page = new URL(location, url).toString();
    const shown = await fetch(page, { redirect: 'manual', headers });
    return { status: shown.status, headers: shown.headers, text: await shown.text(), redirected: page };
  }
  return { status: res.status, headers: res.headers, text: await res.text(), redirected: null };
}

/**
 * The stand-in viewer: an HTTP server that answers every path with a small page and remembers the URLs it was asked
 * (the share page redirects there with the child token in `?token=`).
 */
export class StandInViewer {
  readonly requests: string[] = [];
  private readonly server: Server = createServer((req: IncomingMessage, res) => {
    this.requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><title>Stand-in viewer</title></head><body><h1>Viewer</h1></body></html>');
  });
  port = 0;

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
