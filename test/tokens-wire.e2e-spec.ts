import { request as httpRequest } from 'node:http';
import { BASIC, call, JsonResponse, RunningApp, startApp } from './support/app';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const STUDY = { 'dicom-uid': '1.2.3', 'orthanc-id': 'o-1', level: 'study' };
const stoneBody = (over: Record<string, unknown> = {}) => ({
  id: 's',
  resources: [STUDY],
  type: 'stone-viewer-publication',
  ...over,
});
const validateBody = (token: string, over: Record<string, unknown> = {}) => ({
  'dicom-uid': '1.2.3',
  'orthanc-id': 'o-1',
  level: 'study',
  method: 'get',
  'token-key': 'token',
  'token-value': token,
  'server-id': null,
  labels: ['a'],
  uri: '/studies/o-1',
  ...over,
});

/** Sends a body in several chunks with Transfer-Encoding: chunked, as the plugin does since 0.9.1. */
function chunkedPost(url: string, path: string, chunks: string[]): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url + path,
      {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: new Headers(res.headers as Record<string, string>),
            body: JSON.parse(text),
            text,
          }),
        );
      },
    );
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('tokens over the wire', () => {
  let svc: RunningApp;
  const statuses: number[] = [];
  const send = async (...args: Parameters<typeof call>) => {
    const res = await call(...args);
    statuses.push(res.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(() => JSON.parse(res.text)).not.toThrow();
    return res;
  };
  const create = async (body: unknown = stoneBody()) =>
    (await send(svc.url, 'PUT', '/tokens/stone-viewer-publication', body)).body.token as string;

  beforeAll(async () => {
    svc = await startApp({ PUBLIC_ORTHANC_ROOT: 'http://pacs.example/orthanc/', SERVER_ID: 'site-a' });
  });
  afterAll(async () => {
    await svc.close();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it('accepts a chunked request body', async () => {
    const token = await create();
    const json = JSON.stringify(validateBody(token, { 'server-id': 'site-a' }));
    const res = await chunkedPost(svc.url, '/tokens/validate', [
      json.slice(0, 10),
      json.slice(10, 200),
      json.slice(200),
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ granted: true, validity: 60 });
  });

  it('takes the token header over token-value, and strips a leading Bearer', async () => {
    const token = await create();
    const viaHeader = await send(
      svc.url,
      'POST',
      '/tokens/validate',
      validateBody('garbage', { 'server-id': 'site-a' }),
      { headers: { token } },
    );
    expect(viaHeader.body.granted).toBe(true);
    const garbageHeader = await send(
      svc.url,
      'POST',
      '/tokens/validate',
      validateBody(token, { 'server-id': 'site-a' }),
      { headers: { token: 'garbage' } },
    );
    expect(garbageHeader.body.granted).toBe(false);
    const bearer = await send(
      svc.url,
      'POST',
      '/tokens/validate',
      validateBody(`Bearer ${token}`, { 'server-id': 'site-a' }),
    );
    expect(bearer.body.granted).toBe(true);
  });

  it('accepts the older `identifier` spelling of server-id and refuses another server', async () => {
    const token = await create();
    const { 'server-id': _drop, ...noServer } = validateBody(token);
    expect((await send(svc.url, 'POST', '/tokens/validate', { ...noServer, identifier: 'site-a' })).body.granted).toBe(
      true,
    );
    expect(
      (await send(svc.url, 'POST', '/tokens/validate', validateBody(token, { 'server-id': 'site-b' }))).body.granted,
    ).toBe(false);
    expect((await send(svc.url, 'POST', '/tokens/validate', validateBody(token))).body.granted).toBe(false);
  });

  it.each(['put', 'delete'])('never grants %s with a share token', async (method) => {
    const token = await create();
    const res = await send(svc.url, 'POST', '/tokens/validate', validateBody(token, { method, 'server-id': 'site-a' }));
    expect(res.body).toEqual({ granted: false, validity: 60 });
  });

  it("grants post with a share token on its own study (the plugin's DICOMweb reads), and not on another", async () => {
    const token = await create();
    const own = await send(
      svc.url,
      'POST',
      '/tokens/validate',
      validateBody(token, { method: 'post', 'server-id': 'site-a' }),
    );
    expect(own.body).toEqual({ granted: true, validity: 60 });
    const other = await send(
      svc.url,
      'POST',
      '/tokens/validate',
      validateBody(token, { method: 'post', 'server-id': 'site-a', 'dicom-uid': '9.9.9', 'orthanc-id': 'o-9' }),
    );
    expect(other.body).toEqual({ granted: false, validity: 60 });
  });

  it('with SHARE_TOKEN_METHODS=get, grants get only (post, put and delete refused)', async () => {
    const narrowed = await startApp({
      PUBLIC_ORTHANC_ROOT: 'http://pacs.example/orthanc/',
      SERVER_ID: 'site-a',
      SHARE_TOKEN_METHODS: 'get',
    });
    try {
      const res = await send(narrowed.url, 'PUT', '/tokens/stone-viewer-publication', stoneBody());
      const token = res.body.token as string;
      const answers: Record<string, unknown> = {};
      for (const method of ['get', 'post', 'put', 'delete']) {
        const v = await send(
          narrowed.url,
          'POST',
          '/tokens/validate',
          validateBody(token, { method, 'server-id': 'site-a' }),
        );
        answers[method] = v.body;
      }
      expect(answers).toEqual({
        get: { granted: true, validity: 60 },
        post: { granted: false, validity: 60 },
        put: { granted: false, validity: 60 },
        delete: { granted: false, validity: 60 },
      });
    } finally {
      await narrowed.close();
    }
  });

  it('refuses to start with a SHARE_TOKEN_METHODS that would grant a write, naming the variable', async () => {
    await expect(startApp({ SHARE_TOKEN_METHODS: 'get,post,delete' })).rejects.toThrow(
      /SHARE_TOKEN_METHODS expects "get,post" \(the default\) or "get"/,
    );
  });

  it("bounds the grant's validity by the token's remaining life", async () => {
    const token = await create(stoneBody({ 'validity-duration': 20 }));
    const res = await send(svc.url, 'POST', '/tokens/validate', validateBody(token, { 'server-id': 'site-a' }));
    expect(res.body.granted).toBe(true);
    expect(Number.isInteger(res.body.validity)).toBe(true);
    expect(res.body.validity).toBeGreaterThanOrEqual(15);
    expect(res.body.validity).toBeLessThanOrEqual(20);
  });

  it('reads a date without a time zone as UTC, and expiration-date wins over validity-duration', async () => {
    const res = await send(
      svc.url,
      'PUT',
      '/tokens/stone-viewer-publication',
      stoneBody({ 'expiration-date': '2099-01-01T00:00:00', 'validity-duration': 10 }),
    );
    expect(res.status).toBe(200);
    const decoded = await send(svc.url, 'POST', '/tokens/decode', {
      'token-key': 'token',
      'token-value': res.body.token,
    });
    expect(decoded.body['error-code']).toBeNull();
    const payload = JSON.parse(Buffer.from(res.body.token.split('.')[1], 'base64url').toString());
    expect(payload.expiration_date).toBe('2099-01-01T00:00:00+00:00');
  });

  it('answers a null url for instant links and a decode with their resources', async () => {
    const res = await send(svc.url, 'PUT', '/tokens/download-instant-link', {
      id: null,
      resources: [STUDY],
      type: 'download-instant-link',
    });
    expect(res.body.url).toBeNull();
    const decoded = await send(svc.url, 'POST', '/tokens/decode', {
      'token-key': 'token',
      'token-value': res.body.token,
    });
    expect(decoded.body).toEqual({
      'token-type': 'download-instant-link',
      'error-code': null,
      'redirect-url': null,
      resources: [{ ...STUDY, url: null }],
    });
  });

  it('decodes a missing token-value as invalid instead of crashing', async () => {
    const res = await send(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ 'token-type': null, 'error-code': 'invalid', 'redirect-url': null, resources: [] });
  });

  describe('bad input is a 400 JSON that names the field', () => {
    it.each([
      ['a negative validity-duration', stoneBody({ 'validity-duration': -1 }), /validity-duration/],
      ['a validity-duration beyond 100 years', stoneBody({ 'validity-duration': 4_000_000_000 }), /validity-duration/],
      ['a float validity-duration', stoneBody({ 'validity-duration': 1.5 }), /validity-duration/],
      ['a string validity-duration', stoneBody({ 'validity-duration': '60' }), /validity-duration/],
      ['an unreadable expiration-date', stoneBody({ 'expiration-date': 'next week' }), /expiration-date/],
      ['a numeric expiration-date', stoneBody({ 'expiration-date': 12 }), /expiration-date/],
      ['missing resources', { type: 'stone-viewer-publication' }, /resources/],
      ['resources that are not a list', stoneBody({ resources: 'all' }), /resources/],
      ['a resource without level', stoneBody({ resources: [{ 'dicom-uid': '1' }] }), /level/],
      ['an unknown level', stoneBody({ resources: [{ 'dicom-uid': '1', level: 'hospital' }] }), /level/],
      ['a numeric dicom-uid', stoneBody({ resources: [{ 'dicom-uid': 1, level: 'study' }] }), /dicom-uid/],
      ['a type different from the path', stoneBody({ type: 'ohif-viewer-publication' }), /type/],
      ['an unknown type', stoneBody({ type: 'super-token' }), /type/],
    ])('create with %s', async (_name, body, field) => {
      const res = await send(svc.url, 'PUT', '/tokens/stone-viewer-publication', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(field);
    });

    it.each([
      ['resources that are a string', stoneBody({ resources: '1.2' }), ['resources must be an array']],
      [
        'a missing type',
        { id: 's', resources: [STUDY] },
        [
          expect.stringMatching(
            /^type is required and must equal the token type of the path, as in PUT \/tokens\/\{type\}/,
          ),
        ],
      ],
      [
        'a type different from the path',
        stoneBody({ type: 'viewer-instant-link' }),
        ['type must equal the token type of the path (stone-viewer-publication)'],
      ],
      [
        'several wrong fields',
        stoneBody({ id: 5, 'validity-duration': '60', resources: [{ 'dicom-uid': 1 }] }),
        [
          'id must be a string',
          'resources.0.dicom-uid must be a string',
          'resources.0.level is required and must be one of the following values: patient, study, series, instance, system',
          'validity-duration must be an integer number',
        ],
      ],
    ])('create with %s: one message per wrong field', async (_name, body, messages) => {
      const res = await send(svc.url, 'PUT', '/tokens/stone-viewer-publication', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual(messages);
    });

    it('validate with several wrong fields: one message each', async () => {
      const res = await send(svc.url, 'POST', '/tokens/validate', {
        'dicom-uid': 12,
        level: 'hospital',
        'token-value': { a: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([
        'method is required and must be one of the following values: get, post, put, delete',
        'dicom-uid must be a string or null',
        'token-value must be a string or null',
        'level must be one of the following values: patient, study, series, instance, system',
      ]);
    });

    it.each([
      ['an unknown method', { method: 'patch' }, /method/],
      ['a missing level', { level: undefined }, /level/],
      ['a numeric dicom-uid', { 'dicom-uid': 12 }, /dicom-uid/],
      ['an object token-value', { 'token-value': { a: 1 } }, /token-value/],
    ])('validate with %s', async (_name, over, field) => {
      const res = await send(svc.url, 'POST', '/tokens/validate', validateBody('x', over));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(field);
    });

    it('malformed JSON, a JSON array, and JSON null', async () => {
      for (const raw of ['{"level":', '[1,2]', 'null', '"text"']) {
        const res = await send(svc.url, 'POST', '/tokens/validate', undefined, {
          raw,
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status).toBe(400);
      }
    });

    it('a body without a content type is still read as JSON', async () => {
      const token = await create();
      const res = await send(svc.url, 'POST', '/tokens/validate', undefined, {
        raw: JSON.stringify(validateBody(token, { 'server-id': 'site-a' })),
      });
      expect(res.status).toBe(200);
      expect(res.body.granted).toBe(true);
    });

    it('a body over 1 MiB is a 413 JSON', async () => {
      const res = await send(svc.url, 'POST', '/tokens/validate', validateBody('x', { uri: 'a'.repeat(1_100_000) }));
      expect(res.status).toBe(413);
      expect(res.body.statusCode).toBe(413);
    });
  });

  it('a type whose configuration is missing answers 400 naming the variable', async () => {
    const res = await send(svc.url, 'PUT', '/tokens/ohif-viewer-publication', {
      ...stoneBody(),
      type: 'ohif-viewer-publication',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual([expect.stringMatching(/PUBLIC_OHIF_ROOT/)]);
  });

  it('a wrong password is a 401 JSON with a Basic challenge', async () => {
    const res = await send(svc.url, 'POST', '/tokens/validate', validateBody('x'), {
      auth: `Basic ${Buffer.from('share-user:wrong').toString('base64')}`,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });
});

describe('in production, without PUBLIC_ORTHANC_ROOT', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ NODE_ENV: 'production' });
  });
  afterAll(() => svc.close());

  it('refuses stone links with a 400 that names PUBLIC_ORTHANC_ROOT', async () => {
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', stoneBody());
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual([expect.stringMatching(/PUBLIC_ORTHANC_ROOT/)]);
  });

  it('still makes instant links, which need no configuration', async () => {
    const res = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
      ...stoneBody(),
      type: 'viewer-instant-link',
    });
    expect(res.status).toBe(200);
    expect(res.body.url).toBeNull();
  });
});

describe('with a URL prefix', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({ URL_PREFIX: '/auth' });
  });
  afterAll(() => svc.close());

  it('serves the routes under it, the plain fastify ones (validate, get-profile) included', async () => {
    expect(svc.url.endsWith('/auth')).toBe(true);
    const res = await call(svc.url, 'PUT', '/tokens/viewer-instant-link', {
      ...stoneBody(),
      type: 'viewer-instant-link',
    });
    expect(res.status).toBe(200);
    const validate = await call(svc.url, 'POST', '/tokens/validate', validateBody(res.body.token));
    expect(validate.body).toEqual({ granted: true, validity: 60 });
    const profile = await call(svc.url, 'POST', '/user/get-profile', {});
    expect(profile.status).toBe(200);
    expect(profile.body.name).toBe('Anonymous');
    const base = svc.url.slice(0, -'/auth'.length);
    expect((await call(base, 'POST', '/tokens/validate', validateBody(res.body.token))).status).toBe(404);
  });
});
