import { connect } from 'node:net';
import { call, RunningApp, startApp } from './support/app';

// One Basic check for every route (issue 12, finding 2): the Nest routes (through passport-http), the plain fastify
// routes of the hot path and /metrics all accept and refuse the same Authorization headers, as BasicCredentials reads
// them: the password is everything after the first ":", and the scheme is exactly "Basic".

const basic = (login: string, password: string, scheme = 'Basic') =>
  `${scheme} ${Buffer.from(`${login}:${password}`).toString('base64')}`;

const USERS = { 'share-user': 'change-me', 'colon-user': 'p:with:colons', 'lead-colon': ':starts-with-colon' };

/** One route of each kind, with a body each accepts. */
const ROUTES: [string, string, string, unknown][] = [
  ['a Nest route', 'PUT', '/tokens/viewer-instant-link', { type: 'viewer-instant-link', resources: [] }],
  ['a Nest route', 'GET', '/settings/roles', undefined],
  ['a plain fastify route', 'POST', '/tokens/validate', { level: 'study', method: 'get', 'dicom-uid': '1.2' }],
  ['a plain fastify route', 'POST', '/user/get-profile', {}],
  ['the metrics route', 'GET', '/metrics', undefined],
];

describe('one Basic check on every route', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ USERS: JSON.stringify(USERS) });
  });
  afterAll(async () => svc?.close());

  describe.each(ROUTES)('%s: %s %s', (_kind, method, path, body) => {
    it.each([
      ['a password with colons', basic('colon-user', 'p:with:colons')],
      ['a password that starts with a colon', basic('lead-colon', ':starts-with-colon')],
      ['a plain password', basic('share-user', 'change-me')],
      ['a lower-case scheme', basic('share-user', 'change-me', 'basic')],
    ])('accepts %s', async (_name, auth) => {
      const res = await call(svc.url, method, path, body, { auth });
      expect(res.status).toBe(200);
    });

    it.each([
      ['a scheme that only contains "Basic"', basic('share-user', 'change-me', 'XBasicY')],
      ['a password cut at its second colon', basic('colon-user', 'p')],
      ['a password cut at its first colon', basic('lead-colon', '')],
      ['a wrong password', basic('share-user', 'wrong')],
      ['an unknown login', basic('nobody', 'change-me')],
      ['no colon at all', `Basic ${Buffer.from('share-user').toString('base64')}`],
      ['a bearer token', 'Bearer abc'],
      ['no credentials', null],
    ])('refuses %s with a 401 JSON and a Basic challenge', async (_name, auth) => {
      const res = await call(svc.url, method, path, body, { auth });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="orthanc-auth"/);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });
  });
});

/** Sends the request head and the first `sent` bytes of a `length`-byte body, and resolves with the first answer. */
function answerBeforeBody(url: string, path: string, headers: Record<string, string>, length: number, sent: number) {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  const head = [
    `POST ${u.pathname.replace(/\/$/, '')}${path} HTTP/1.1`,
    `Host: ${u.host}`,
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n\r\n')) resolve(text);
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without an answer: ${text}`)));
  });
  socket.write(`${head}\r\n\r\n{"level":"study","method":"get","uri":"${'a'.repeat(sent)}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer while the body was incomplete')), 15_000);
  });
  return Promise.race([answer, timeout]).finally(() => {
    clearTimeout(timer);
    socket.destroy();
  });
}

describe('the plain fastify routes check credentials before they read the body (issue 12, finding 7)', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(async () => svc?.close());

  // 900 KB that fail to parse: a 400 if the service parsed them, a 401 if it refused the caller first.
  const malformed = `{"level":"study","method":"get","uri":"${'x'.repeat(900_000)}`;

  it.each(['/tokens/validate', '/user/get-profile'])(
    '%s: no credentials, a 401, the body left unparsed',
    async (path) => {
      const anonymous = await call(svc.url, 'POST', path, undefined, {
        auth: null,
        raw: malformed,
        headers: { 'content-type': 'application/json' },
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ statusCode: 401 });
      // With credentials, the same bytes are read and parsed: the 400 of malformed JSON.
      const caller = await call(svc.url, 'POST', path, undefined, {
        raw: malformed,
        headers: { 'content-type': 'application/json' },
      });
      expect(caller.status).toBe(400);
      expect(JSON.stringify(caller.body.message)).toMatch(/Malformed JSON/);
    },
  );

  it.each(['/tokens/validate', '/user/get-profile'])(
    '%s: no credentials, the 401 comes before the body has even arrived',
    async (path) => {
      const answer = await answerBeforeBody(svc.url, path, {}, 900_000, 1000);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer).toMatch(/www-authenticate: Basic/i);
      const wrong = await answerBeforeBody(
        svc.url,
        path,
        { Authorization: basic('share-user', 'wrong') },
        900_000,
        1000,
      );
      expect(wrong).toMatch(/^HTTP\/1\.1 401 /);
    },
  );

  it('still serves the connection and the callers after such refusals', async () => {
    const res = await call(svc.url, 'POST', '/tokens/validate', { level: 'study', method: 'get', 'dicom-uid': '1' });
    expect(res.body).toEqual({ granted: false, validity: 60 });
  });
});
