import fc from 'fast-check';
import { writeGuardAddress } from '../../apps/auth-service/src/write-guard/write-guard.route';
import { call, RunningApp, startApp } from '../support/app';
import { rawRequest } from '../support/net';
import { counts, runCases } from './support/hostile';

// Property-based hostile input on the write guard (its own listener, asked as nginx's auth_request asks it): methods,
// Orthanc paths under any prefix, dressed up (doubled slashes, dot segments, percent-escapes, trailing slashes), query
// strings, and credentials of every kind in every place (token/api-key/custom headers, Bearer, comma-joined,
// repeated, ?token=). Invariants: always 200/400/403 with a JSON body; a write carrying a share token of this service
// (current or previous key) is never allowed; a request without one is never refused; reads are never refused.
// The oracle is written from docs/PROTOCOL.md section 12; it shares no code with the service.

const CASES = 1200;
const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const USER_JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkb2N0b3IiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJlLW9mLWtleWNsb2Fr';

const READ_POSTS = [
  '/tools/find',
  '/tools/lookup',
  '/tools/create-archive',
  '/tools/create-media',
  '/tools/create-media-extended',
  `/studies/${A}/archive`,
  `/patients/${A}/media`,
  `/series/${A}/archive`,
];
const WRITE_POSTS = [
  `/studies/${A}/modify`,
  `/studies/${A}/anonymize`,
  `/studies/${A}/merge`,
  `/studies/${A}/split`,
  `/series/${A}/modify`,
  `/instances/${A}/export`,
  `/studies/${A}/reconstruct`,
  '/tools/bulk-delete',
  '/tools/bulk-modify',
  '/dicom-web/studies?StudyInstanceUID=1.2.3',
  '/dicom-web/studies/1.2.3',
  '/instances',
];
const OTHER = [`/studies/${A}`, `/studies/${A}/metadata/1024`, '/dicom-web/studies/1.2.3/series', '/system', '/'];

interface Case {
  method: string;
  path: string;
  prefix: string;
  dressing: string;
  query: string;
  token: string;
  placement: string;
}

describe('hostile input on the write guard (property-based)', () => {
  let svc: RunningApp;
  let port: number;
  const kinds: Record<string, string> = {};
  const stats = { refused: 0, allowed: 0, bad: 0 };

  beforeAll(async () => {
    const resources = [{ 'dicom-uid': '1.2.3', 'orthanc-id': A, level: 'study' }];
    const old = await startApp({ SECRET_KEY: 'the-previous-key-of-this-site' });
    try {
      kinds.previous = (
        await call(old.url, 'PUT', '/tokens/viewer-instant-link', { id: 'p', resources, type: 'viewer-instant-link' })
      ).body.token;
    } finally {
      await old.close();
    }
    svc = await startApp({ WRITE_GUARD_PORT: '0', PREVIOUS_SECRET_KEYS: 'the-previous-key-of-this-site' });
    port = writeGuardAddress(svc.app)!.port;
    kinds.share = (
      await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
        id: 's',
        resources,
        type: 'viewer-instant-link',
        'expiration-date': '2001-01-01T00:00:00Z',
      })
    ).body.token;
    kinds.user = USER_JWT;
    kinds.forged = `${kinds.share.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`;
    kinds.garbage = 'not-a-token';
  });
  afterAll(async () => {
    await svc?.close();
    process.stdout.write(
      `[hostile] write guard: ${counts.get('write-guard') ?? 0} cases; ${stats.refused} refused, ${stats.allowed} allowed, ${stats.bad} bad input\n`,
    );
  });

  const caseArb: fc.Arbitrary<Case> = fc.record({
    method: fc.constantFrom(
      'GET',
      'HEAD',
      'OPTIONS',
      'POST',
      'POST',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'get',
      'M-SEARCH',
    ),
    path: fc.constantFrom(...READ_POSTS, ...WRITE_POSTS, ...OTHER),
    prefix: fc.constantFrom('', '/orthanc', '/shares', '/a/b'),
    dressing: fc.constantFrom(
      'none',
      'none',
      'double-slash',
      'dot',
      'trailing',
      'escape',
      'escaped-slash',
      'dotdot',
      'fragment',
    ),
    // Any occurrence of a token parameter is a token (issue 24): after a NUL, a ;, a #, any case.
    query: fc.constantFrom(
      '',
      '',
      '?x=1',
      '?token=@',
      '?a=1&token=@',
      '?token=%@',
      '?token=@%00',
      '?token=@;x=1',
      '?a=1;token=@',
      '?x=#&token=@',
      '?TOKEN=@',
      '?token=%@%0A',
    ),
    token: fc.constantFrom('share', 'previous', 'user', 'forged', 'garbage'),
    placement: fc.constantFrom(
      'token',
      'api-key',
      'bearer',
      'lower-bearer',
      'custom',
      'comma',
      'repeated',
      'query-only',
      'none',
    ),
  });

  function build(c: Case): { uri: string; headers: string[]; carriesShare: boolean } {
    const token = kinds[c.token];
    let path = c.path;
    let query = '';
    const q = path.indexOf('?');
    if (q >= 0) [path, query] = [path.slice(0, q), path.slice(q)];
    switch (c.dressing) {
      case 'double-slash':
        path = path.replace('/', '//');
        break;
      case 'dot':
        path = `/.${path}`;
        break;
      case 'trailing':
        path = `${path}/`;
        break;
      case 'escape':
        path = path.replace(/[a-z]/, (ch) => `%${ch.charCodeAt(0).toString(16)}`);
        break;
      case 'escaped-slash':
        // the last slash, never the leading one (the URI nginx passes always starts with "/")
        path = path.replace(/(.)\/(?=[^/]*$)/, '$1%2F');
        break;
      case 'dotdot':
        path = `/tools/find/..${path}`;
        break;
      case 'fragment':
        // a raw # that nginx would cut at and Orthanc would not: never a plain read
        path = `${path}#/../x`;
        break;
    }
    const extra = c.query.replace('%@', encodeURIComponent(token)).replace('@', token);
    if (extra) query = query ? `${query}&${extra.slice(1)}` : extra;
    const headers: string[] = ['Host', `127.0.0.1:${port}`, 'X-Original-Method', c.method];
    headers.push('X-Original-URI', `${c.prefix}${path}${query}`);
    const inQuery = /token=/i.test(extra);
    switch (c.placement) {
      case 'token':
      case 'api-key':
        headers.push(c.placement, token);
        break;
      case 'bearer':
        headers.push('Authorization', `Bearer ${token}`);
        break;
      case 'lower-bearer':
        headers.push('authorization', `bearer  ${token}`);
        break;
      case 'custom':
        headers.push('X-Share-Token', token);
        break;
      case 'comma':
        headers.push('token', `${USER_JWT}, ${token}`);
        break;
      case 'repeated':
        headers.push('token', USER_JWT, 'token', token);
        break;
    }
    const placed = c.placement !== 'none' && c.placement !== 'query-only';
    const genuine = c.token === 'share' || c.token === 'previous';
    return { uri: `${c.prefix}${path}${query}`, headers, carriesShare: genuine && (placed || inQuery) };
  }

  async function ask(headers: string[]): Promise<{ status: number; type: string; text: string }> {
    const res = await rawRequest({ host: '127.0.0.1', port, path: '/write-guard', headers });
    return { status: res.status, type: res.contentType ?? '', text: res.text };
  }

  it(`${CASES} generated subrequests: never a write with a share token allowed, never a refusal without one`, async () => {
    await runCases('write-guard', caseArb, CASES, async (c) => {
      const { uri, headers, carriesShare } = build(c);
      const res = await ask(headers);
      const label = `${c.method} ${uri} ${JSON.stringify(c)}`;
      expect({
        label,
        status: [200, 400, 403].includes(res.status),
        json: /^application\/json/.test(res.type),
      }).toEqual({ label, status: true, json: true });
      JSON.parse(res.text);
      if (!/^[A-Za-z]+$/.test(c.method)) {
        expect({ label, status: res.status }).toEqual({ label, status: 400 });
        stats.bad++;
        return;
      }
      const read = ['GET', 'HEAD', 'OPTIONS'].includes(c.method);
      const write = !read && c.method !== 'POST';
      // A POST is a read only on the read-only routes, written plainly (an escape makes it a write).
      const readPost = READ_POSTS.includes(c.path) && !['escape', 'escaped-slash', 'fragment'].includes(c.dressing);
      const expected = !carriesShare || read || (!write && readPost) ? 200 : 403;
      expect({ label, status: res.status }).toEqual({ label, status: expected });
      if (res.status === 403) stats.refused++;
      else stats.allowed++;
    });
    expect(stats.refused).toBeGreaterThan(50);
    expect(stats.allowed).toBeGreaterThan(50);
  }, 300_000);
});
