import { loadTokensConfig } from '../tokens.config';
import { TokensService } from '../tokens.service';
import { ShareTokenCodec } from '../codec/share-token-codec';
import { credentialCandidates, MAX_CREDENTIAL_CANDIDATES, queryValues } from './request-credentials';
import { decideWriteGuard, writeGuardInput } from './write-guard';

const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const USER_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl';

describe('credentialCandidates', () => {
  it('collects every JWT-shaped header value and query argument, Bearer dropped, each once', () => {
    const got = credentialCandidates(
      [
        'Host',
        'orthanc',
        'token',
        'a.b.c',
        'Authorization',
        'Bearer d.e.f',
        'api-key',
        'a.b.c',
        'X-Share',
        ' g.h.i , j.k.l',
        'Cookie',
        'session=m.n.o; x=1',
        'Authorization',
        'Basic c2hhcmUtdXNlcjpjaGFuZ2UtbWU=',
      ],
      '/studies/x?token=p.q.r&other=s.t.u&token=%62earer%20v.w.x&plus=Bearer+y.z.a&bad=%E0%A4%A',
    );
    expect(got).toEqual({
      values: ['a.b.c', 'd.e.f', 'g.h.i', 'j.k.l', 'p.q.r', 's.t.u', 'v.w.x', 'y.z.a'],
      overflow: false,
    });
  });

  it('counts any occurrence of a token in the query: after a NUL, a ;, a #, in any argument, decoded or not (issue 24)', () => {
    const tok = 'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2ln';
    const queries = [
      `?token=${tok}%00`,
      `?token=${tok}%00x`,
      `?token=${tok};x=1`,
      `?a=1;token=${tok}`,
      `?token=${tok}#`,
      `?x=#&token=${tok}`,
      `?x=1#token=${tok}`,
      `?TOKEN=${tok}`,
      `?Token=x&token=${tok}&token=y`,
      `?token=%65yJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2ln%00`,
      `?token=Bearer%20${tok}%0A`,
      `?token=${tok}%`,
    ];
    for (const query of queries) {
      expect({ query, values: credentialCandidates([], `/studies/x${query}`).values }).toEqual({
        query,
        values: expect.arrayContaining([tok]),
      });
    }
  });

  it('skips the headers it is told to skip, and values that are not JWT-shaped', () => {
    expect(
      credentialCandidates(
        ['X-Original-URI', '/a?token=a.b.c', 'token', 'not a token', 'token', 'a.b'],
        '/a',
        new Set(['x-original-uri']),
      ),
    ).toEqual({ values: [], overflow: false });
  });

  it('stops collecting past the bound and says so', () => {
    const headers = Array.from({ length: MAX_CREDENTIAL_CANDIDATES + 1 }, (_, i) => ['token', `a.b.${i}`]).flat();
    const got = credentialCandidates(headers, '/');
    expect(got.values).toHaveLength(MAX_CREDENTIAL_CANDIDATES);
    expect(got.overflow).toBe(true);
  });

  it('reads query values as sent and decoded, ignoring the fragment and arguments without a value', () => {
    expect(queryValues('/a?x=1&y&z=%41+b#w=2')).toEqual(['1', '%41+b', 'A b']);
    expect(queryValues('/a')).toEqual([]);
  });
});

describe('writeGuardInput', () => {
  it('reads the original method and URI, each given once', () => {
    expect(writeGuardInput(['X-Original-Method', 'DELETE', 'x-original-uri', ' /orthanc/studies/x '])).toEqual({
      ok: true,
      method: 'DELETE',
      uri: '/orthanc/studies/x',
    });
  });
  it.each([
    [['X-Original-URI', '/a']],
    [['X-Original-Method', 'GET']],
    [['X-Original-Method', 'GET', 'X-Original-Method', 'DELETE', 'X-Original-URI', '/a']],
    [['X-Original-Method', 'DELETE', 'X-Original-URI', '/a', 'X-Original-URI', '/tools/find']],
    [['X-Original-Method', 'GET POST', 'X-Original-URI', '/a']],
    [['X-Original-Method', 'GET', 'X-Original-URI', 'a/b']],
    [['X-Original-Method', '', 'X-Original-URI', '/a']],
  ])('refuses %j (missing, repeated or malformed)', (raw) => {
    expect(writeGuardInput(raw).ok).toBe(false);
  });
});

describe('decideWriteGuard', () => {
  const tokens = new TokensService(new ShareTokenCodec('current-key', ['old-key']), loadTokensConfig({}));
  const isShareToken = (raw: string) => tokens.isShareToken(raw);
  const resources = [{ dicomUid: '1.2', orthancId: A, url: null, level: 'study' as const }];
  const signed = (key: string, expirationDate: string | null = null) =>
    new ShareTokenCodec(key).sign({
      id: 'x',
      shareId: null,
      resources,
      type: 'stone-viewer-publication',
      expirationDate,
      validityDuration: null,
    });
  const share = signed('current-key');
  const decide = (method: string, uri: string, headers: string[] = []) =>
    decideWriteGuard({ method, uri, rawHeaders: headers }, isShareToken);

  it('allows reads without looking at credentials', () => {
    const lookups: string[] = [];
    const spy = (raw: string) => (lookups.push(raw), true);
    expect(decideWriteGuard({ method: 'GET', uri: `/studies/${A}`, rawHeaders: ['token', share] }, spy)).toEqual({
      allowed: true,
      reason: 'read',
    });
    expect(decideWriteGuard({ method: 'POST', uri: '/tools/find', rawHeaders: ['token', share] }, spy).allowed).toBe(
      true,
    );
    expect(lookups).toEqual([]);
  });

  it("judges a read turned into a write by Orthanc's method override as a write (X-HTTP-Method-Override, ?_method=)", () => {
    const refused = { allowed: false, reason: 'share-token-write' };
    expect(decide('GET', `/orthanc/studies/${A}?_method=DELETE&token=${share}`)).toEqual(refused);
    expect(decide('GET', `/orthanc/studies/${A}?%5Fmethod=DELETE&token=${share}`)).toEqual(refused);
    expect(decide('GET', `/orthanc/studies/${A}`, ['X-HTTP-Method-Override', 'DELETE', 'token', share])).toEqual(
      refused,
    );
    expect(decide('POST', '/orthanc/tools/find', ['x-http-method-override', 'PUT', 'token', share])).toEqual(refused);
    // Without a share token, the override goes on to the plugin's checks like any write; a plain read stays a read.
    expect(decide('GET', `/orthanc/studies/${A}?_method=DELETE`)).toEqual({ allowed: true, reason: 'no-share-token' });
    expect(decide('GET', `/orthanc/studies/${A}?method=DELETE&token=${share}`)).toEqual({
      allowed: true,
      reason: 'read',
    });
  });

  it.each([
    ['the token header', ['token', share], '/'],
    ['the api-key header', ['api-key', share], '/'],
    ['Authorization: Bearer', ['Authorization', `Bearer ${share}`], '/'],
    ['a header of another name', ['X-Share-Token', share], '/'],
    ['the token query argument', [], `?token=${share}`],
    ['a second token argument', [], `?token=${USER_JWT}&token=${share}`],
    ['next to a user token', ['Authorization', `Bearer ${USER_JWT}`, 'token', share], '/'],
  ])('refuses a write carrying a share token in %s', (_where, headers, query) => {
    const uri = `/orthanc/studies/${A}/modify${query === '/' ? '' : query}`;
    expect(decide('POST', uri, headers)).toEqual({ allowed: false, reason: 'share-token-write' });
    expect(decide('DELETE', `/orthanc/studies/${A}${query === '/' ? '' : query}`, headers).allowed).toBe(false);
  });

  it('refuses a share token signed with a previous key, an expired one, and one of the Python service (no share id)', () => {
    expect(decide('DELETE', `/studies/${A}`, ['token', signed('old-key')]).allowed).toBe(false);
    expect(decide('DELETE', `/studies/${A}`, ['token', signed('current-key', '2001-01-01T00:00:00')]).allowed).toBe(
      false,
    );
  });

  it("allows writes with a user's bearer token, an api-key, a Basic login, a forged or foreign token, or nothing", () => {
    for (const headers of [
      ['Authorization', `Bearer ${USER_JWT}`],
      ['api-key', 'a-long-api-key-value'],
      ['Authorization', 'Basic c2hhcmUtdXNlcjpjaGFuZ2UtbWU='],
      ['token', signed('someone-elses-key')],
      ['token', `${share.slice(0, -2)}xx`],
      [],
    ]) {
      expect(decide('POST', `/studies/${A}/modify`, headers)).toEqual({ allowed: true, reason: 'no-share-token' });
    }
  });

  it('refuses a write with more JWT-shaped values than it checks (fail closed)', () => {
    const headers = Array.from({ length: MAX_CREDENTIAL_CANDIDATES + 1 }, (_, i) => ['x', `a.b.${i}`]).flat();
    expect(decide('DELETE', `/studies/${A}`, headers).allowed).toBe(false);
  });
});
