import { connect } from 'node:net';
import { BASIC, call, RunningApp, startApp } from '../support/app';

// The defects the hostile suites found, pinned one by one (each was a 5xx or a wrong answer before its fix), and the
// wire-level abuse that only a raw socket can send: every answer a JSON 4xx, the process still serving.

/** Sends raw bytes on a socket and returns the raw answer (status line, headers, body). */
function rawHttp(url: string, data: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname, () => s.end(data));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });
}

describe('regressions found by the hostile suites', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ PUBLIC_ORTHANC_ROOT: 'http://pacs.example/' });
  });
  afterAll(async () => svc?.close());

  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it.each([
    ['PUT', '/tokens/viewer-instant-link', `{"type":"viewer-instant-link","resources":[],"x":${deep(100_000)}}`],
    ['PUT', '/tokens/viewer-instant-link', `{"type":"viewer-instant-link","resources":[${deep(20_000)}]}`],
    ['POST', '/tokens/decode', `{"token-value":${deep(100_000)}}`],
    ['POST', '/user/get-profile', `{"token-value":${deep(100_000)}}`],
    ['PUT', '/settings/roles', `{"roles":{},"available-labels":${deep(100_000)}}`],
    ['POST', '/tokens/validate', `{"level":"study","method":"get","labels":${deep(100_000)}}`],
  ])('a body nested 20,000+ levels deep is a JSON 400, not a stack overflow (%s %s)', async (method, path, raw) => {
    const res = await call(svc.url, method, path, undefined, { raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: [expect.stringMatching(/nested more than 32 levels/)] });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'token-key %s is not looked up on Object.prototype (validate answers, not 500)',
    async (key) => {
      const res = await call(svc.url, 'POST', '/tokens/validate', {
        level: 'study',
        method: 'get',
        'dicom-uid': '1.2',
        'token-key': key,
        'token-value': 'x',
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ granted: false, validity: 60 });
    },
  );

  it('a token too long to ever be accepted back is refused at creation (400), and nothing is recorded', async () => {
    const before = (await call(svc.url, 'GET', '/shares?count=true')).body.total;
    const resources = Array.from({ length: 200 }, (_, i) => ({
      'dicom-uid': `1.2.${i}`,
      'orthanc-id': `o-${i}`,
      url: 'u'.repeat(1000),
      level: 'study',
    }));
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      id: null,
      type: 'stone-viewer-publication',
      resources,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual([expect.stringMatching(/over the 65536 this service accepts/)]);
    expect((await call(svc.url, 'GET', '/shares?count=true')).body.total).toBe(before);
    // The largest token it does hand out is accepted back.
    const fits = resources.slice(0, 40).map((r) => ({ ...r, url: 'u'.repeat(900) }));
    const ok = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      id: null,
      type: 'stone-viewer-publication',
      resources: fits,
    });
    expect(ok.status).toBe(200);
    const v = await call(svc.url, 'POST', '/tokens/validate', {
      'dicom-uid': '1.2.0',
      level: 'study',
      method: 'get',
      'token-value': ok.body.token,
    });
    expect(v.body.granted).toBe(true);
  });

  const body = '{"level":"study","method":"get","dicom-uid":"1"}';
  it.each([
    [
      'a header over the 16 kB limit',
      431,
      `POST /tokens/validate HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\ntoken: ${'a'.repeat(20_000)}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ],
    [
      'an invalid chunk size',
      400,
      `POST /tokens/validate HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
    ],
    [
      'chunked and Content-Length together (smuggling)',
      400,
      `POST /tokens/validate HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ],
    [
      'a Content-Length over the body limit',
      413,
      `POST /tokens/validate HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nContent-Length: 5000000\r\n\r\n${body}`,
    ],
    [
      'a bare BOM as the body',
      400,
      `POST /tokens/validate HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nContent-Length: 3\r\n\r\n\u00ef\u00bb\u00bf`,
    ],
    [
      'a bad percent-encoding in the path',
      400,
      `PUT /tokens/%ff HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nContent-Length: 2\r\n\r\n{}`,
    ],
    [
      'a path parameter over 100 characters',
      414,
      `PUT /tokens/${'a'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nContent-Length: 2\r\n\r\n{}`,
    ],
  ])('%s: a JSON %i', async (_name, status, request) => {
    const answer = await rawHttp(svc.url, request);
    const [head, ...rest] = answer.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/content-type: application\/json/i);
    expect(() => JSON.parse(rest.join('\r\n\r\n'))).not.toThrow();
    expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
  });
});
