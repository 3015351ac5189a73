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
