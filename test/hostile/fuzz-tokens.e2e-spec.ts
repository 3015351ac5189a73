import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { jsonDepthExceeds } from '@app/common';
import { VALIDATE_TOKEN_BODY } from '@app/tokens';
import { call, RunningApp, startApp } from '../support/app';
import {
  Answer,
  assertSane,
  counts,
  effectiveToken,
  hostileValue,
  isPlainObject,
  Mutation,
  mutate,
  mutationArb,
  nastyString,
  parsedAsServiceSeesIt,
  RawMutation,
  rawMutationArb,
  runCases,
  send,
  toBytes,
  Transport,
  transportArb,
  transportHeaders,
} from './support/hostile';

// Property-based hostile input on the share-token routes: POST /tokens/validate (plain fastify route), POST
// /tokens/decode and PUT /tokens/{type} (Nest routes), against one in-process service. Every case starts from a valid
// body and is mutated (values, key spellings, duplicated keys in the raw text, truncation, invalid UTF-8, huge and
// deeply nested values, odd Unicode), sent with varied framing (chunked or not), content types, credentials and extra
// headers. Invariants: no 5xx, always JSON, and a grant (or a decoded token) only for a genuinely valid, unexpired,
// unrevoked share token on one of its own resources with a read method. The oracle below is written from
// PROTOCOL.md sections 3-5 and the tokens this suite created; it shares no code with the service.

const CASES = { validate: 4000, decode: 1500, create: 1500 };
// Thousands of requests per test: minutes, not seconds, when the 2 cores are shared with other builds and suites.
jest.setTimeout(300_000);
const SERVER_ID = 'site-a';
const LEVELS = ['patient', 'study', 'series', 'instance'];
const VALIDATE_KEYS = [
  'dicom-uid',
  'orthanc-id',
  'token-key',
  'token-value',
  'server-id',
  'level',
  'method',
  'uri',
  'labels',
  'identifier',
  'dicom_uid',
  'orthanc_id',
];

interface Res {
  dicomUid: string | null;
  orthancId: string | null;
  level: string;
}
interface Known {
  label: string;
  token: string;
  genuine: boolean;
  type: string;
  resources: Res[];
  expiresAt: number | null;
  revoked: boolean;
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const hs256 = (key: string, header: unknown, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
};

/** PROTOCOL.md section 4, from the outside: may this validate request be granted? */
function mayGrant(body: unknown, headers: Record<string, string>, known: Map<string, Known>, now: number): boolean {
  if (!isPlainObject(body)) return false;
  const pick = (a: string, b?: string) => (body[a] !== undefined || b === undefined ? body[a] : body[b]);
  const fields = {
    d: pick('dicom-uid', 'dicom_uid'),
    o: pick('orthanc-id', 'orthanc_id'),
    key: pick('token-key'),
    value: pick('token-value'),
    server: pick('server-id', 'identifier'),
    uri: pick('uri'),
  };
  // Bad input is a 400: every field of the contract is a string or null.
  for (const v of Object.values(fields)) if (v !== undefined && v !== null && typeof v !== 'string') return false;
  // A share token reads (get, and post: the plugin's DICOMweb reads); it never writes (put, delete).
  if (
    !['get', 'post'].includes(body.method as string) ||
    typeof body.level !== 'string' ||
    !LEVELS.includes(body.level)
  )
    return false;
  // The token header named by token-key, else token-value; never the caller's own Authorization header, and never
  // a Basic credential (issue 12 finding 4).
  const basic = (v: unknown) => typeof v === 'string' && /^basic(\s|$)/i.test(v.trim());
  let raw: unknown;
  const key = typeof fields.key === 'string' ? fields.key.toLowerCase() : '';
  if (key && key !== 'authorization' && Object.hasOwn(headers, key)) raw = headers[key].trim();
  if (!raw || basic(raw)) raw = fields.value;
  if (basic(raw)) return false;
  const token = effectiveToken(raw);
  const k = token ? known.get(token) : undefined;
  if (!k || !k.genuine || k.revoked || (k.expiresAt !== null && k.expiresAt <= now)) return false;
  if (fields.server !== SERVER_ID) return false;
  const d = (fields.d as string | null | undefined) || null;
  const o = (fields.o as string | null | undefined) || null;
  if ((!d && !o) || k.resources.length === 0) return false;
  let checked = false;
  if (d && k.resources.every((r) => r.dicomUid)) {
    if (!k.resources.some((r) => r.dicomUid === d)) return false;
    checked = true;
  }
  if (o && k.resources.every((r) => r.orthancId)) {
    if (!k.resources.some((r) => r.orthancId === o)) return false;
    checked = true;
  }
  return checked;
}

/** Can the reverse be asked (a legit request must be granted)? Not when the body breaks a size or depth bound. */
function plainEnough(body: unknown, bytes: Buffer): boolean {
  // Depth is a property of the text (a duplicated key may hide a deep value that the last one overrides).
  if (bytes.length > 900_000 || jsonDepthExceeds(bytes.toString('utf8'), 30) || !isPlainObject(body)) return false;
  // The contract's own bounds (in characters, as JSON Schema counts them): a longer value is bad input, a 400.
  const bounds = VALIDATE_TOKEN_BODY.properties as Record<string, { maxLength?: number }>;
  const spelled: Record<string, string> = { dicom_uid: 'dicom-uid', orthanc_id: 'orthanc-id', identifier: 'server-id' };
  for (const k of VALIDATE_KEYS) {
    const v = body[k];
    const max = bounds[spelled[k] ?? k]?.maxLength ?? 1024;
    // maxLength counts code points, as ajv does.
    // eslint-disable-next-line @typescript-eslint/no-misused-spread
    if (typeof v === 'string' && [...v].length > max) return false;
  }
  return true;
}

describe('hostile input on the share-token routes (property-based)', () => {
  let svc: RunningApp;
  const known = new Map<string, Known>();
  let tokens: Known[] = [];
  const stats = { granted: 0, legit: 0, decoded: 0, created: 0, statuses: new Map<number, number>() };
  const tally = (a: Answer) => stats.statuses.set(a.status, (stats.statuses.get(a.status) ?? 0) + 1);

  const create = async (
    label: string,
    type: string,
    resources: Res[],
    extra: Record<string, unknown> = {},
  ): Promise<Known> => {
    const wire = resources.map((r) => ({ 'dicom-uid': r.dicomUid, 'orthanc-id': r.orthancId, level: r.level }));
    const res = await call(svc.url, 'PUT', `/tokens/${type}`, { id: label, type, resources: wire, ...extra });
    expect(res.status).toBe(200);
    const expiration = res.body.request['expiration-date'];
    return {
      label,
      token: res.body.token,
      genuine: true,
      type,
      resources,
      expiresAt: expiration ? Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(expiration) ? expiration : `${expiration}Z`) : null,
      revoked: false,
    };
  };

  beforeAll(async () => {
    // Hundreds of generated wrong credentials: the login backoff (its own suite) would hold them for minutes.
    svc = await startApp({
      PUBLIC_ORTHANC_ROOT: 'http://pacs.example/orthanc/',
      SERVER_ID,
      BASIC_FAILURE_DELAY_MAX_MS: '0',
    });
    const two = [
      { dicomUid: '1.2.3', orthancId: 'o-123', level: 'study' },
      { dicomUid: '1.2.4', orthancId: 'o-124', level: 'study' },
    ];
    const stone = await create('stone', 'stone-viewer-publication', two);
    const uidOnly = await create(
      'uid-only',
      'viewer-instant-link',
      [{ dicomUid: '1.2.5', orthancId: null, level: 'study' }],
      { 'validity-duration': 3600 },
    );
    const oidOnly = await create(
      'oid-only',
      'download-instant-link',
      [{ dicomUid: null, orthancId: 'o-126', level: 'series' }],
      { 'expiration-date': '2099-01-01T00:00:00Z' },
    );
    const empty = await create('no-resources', 'stone-viewer-publication', []);
    const expired = await create('expired', 'viewer-instant-link', two, { 'expiration-date': '2001-01-01T00:00:00Z' });
    const revoked = await create('revoked', 'stone-viewer-publication', two);
    const rv = await call(svc.url, 'POST', '/shares/revoke-token', { token: revoked.token });
    expect(rv.status).toBe(200);
    revoked.revoked = true;
    // Forgeries of the stone token: same payload, wrong key / no signature / tampered payload / other algorithm.
    const [h, p, s] = stone.token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = (label: string, token: string): Known => ({ ...stone, label, token, genuine: false });
    const forgeries = [
      forged('wrong-key', hs256('not-the-secret', { alg: 'HS256', typ: 'JWT' }, payload)),
      forged('alg-none', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`),
      forged('alg-none-sig', `${b64({ alg: 'none' })}.${p}.${s}`),
      forged(
        'tampered',
        `${h}.${b64({ ...payload, resources: [{ dicom_uid: '9.9.9', orthanc_id: 'o-999', url: null, level: 'study' }] })}.${s}`,
      ),
      forged('hs512', `${b64({ alg: 'HS512', typ: 'JWT' })}.${p}.${s}`),
      forged('truncated', stone.token.slice(0, -2)),
      forged('padded', `${stone.token}==`),
      forged('four-parts', `${stone.token}.${s}`),
      forged('garbage', 'not.a.token'),
    ];
    for (const t of [stone, uidOnly, oidOnly, empty, expired, revoked])
      expect(t.expiresAt === null || Number.isFinite(t.expiresAt)).toBe(true);
    tokens = [stone, uidOnly, oidOnly, empty, expired, revoked, ...forgeries];
    for (const t of tokens) known.set(t.token, t);
    // The revocation is in force before the fuzzing starts.
    const check = await call(svc.url, 'POST', '/tokens/validate', {
      'dicom-uid': '1.2.3',
      level: 'study',
      method: 'get',
      'token-value': revoked.token,
      'server-id': SERVER_ID,
    });
    expect(check.body.granted).toBe(false);
  });

  afterAll(async () => {
    const health = await call(svc.url, 'GET', '/health', undefined, { auth: null });
    await svc?.close();
    process.stdout.write(
      `[hostile] share-token routes: ${JSON.stringify(Object.fromEntries(counts))} cases; ` +
        `${stats.legit} legitimate validate cases checked granted, ${stats.granted} grants in all (each checked legitimate), ${stats.decoded} genuine decodes, ${stats.created} tokens created; ` +
        `statuses ${JSON.stringify(Object.fromEntries(stats.statuses))}\n`,
    );
    expect(health.status).toBe(200);
  });

  // ---------------------------------------------------------------------------------------------------------------
  const tokenArb = fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((i) => tokens[i % 3].token) }, // the three grantable ones come first
    { weight: 4, arbitrary: fc.nat().map((i) => tokens[i % tokens.length].token) },
    { weight: 1, arbitrary: nastyString },
  );
  const placementArb = fc.constantFrom(
    'value',
    'header',
    'header-bearer',
    'value-bearer',
    'header-wins-garbage',
    'value-only-garbage-header',
    'other-key',
    'padded',
    'authorization-bearer',
    'authorization-empty',
    'basic-header',
    'basic-value',
  );
  const targetArb = fc.record({
    resource: fc.nat(),
    shape: fc.constantFrom('both', 'uid', 'oid', 'swapped', 'none', 'other', 'mixed'),
  });
  interface ValidateCase {
    token: string;
    placement: string;
    target: { resource: number; shape: string };
    method: string;
    level: string;
    server: string | null;
    serverKey: string;
    mutations: Mutation[];
    raw: RawMutation[];
    transport: Transport;
  }
  const validateCase: fc.Arbitrary<ValidateCase> = fc.record({
    token: tokenArb,
    placement: placementArb,
    target: targetArb,
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('get') },
      { weight: 2, arbitrary: fc.constantFrom('post', 'put', 'delete', 'GET', 'Get', ' get', '') },
    ),
    level: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...LEVELS) },
      { weight: 1, arbitrary: fc.constantFrom('system', 'STUDY', 'studies', '') },
    ),
    server: fc.oneof(
      { weight: 6, arbitrary: fc.constant(SERVER_ID) },
      { weight: 1, arbitrary: fc.constantFrom(null, 'site-b', 'SITE-A', `${SERVER_ID} `) },
    ),
    serverKey: fc.constantFrom('server-id', 'identifier'),
    mutations: fc.oneof(
      { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 1, arbitrary: fc.array(mutationArb(VALIDATE_KEYS), { minLength: 1, maxLength: 3 }) },
    ),
    raw: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as RawMutation[]) },
      { weight: 1, arbitrary: fc.array(rawMutationArb, { minLength: 1, maxLength: 2 }) },
    ),
    transport: transportArb,
  });

  function buildValidate(c: ValidateCase): { bytes: Buffer; headers: Record<string, string> } {
    const k = known.get(c.token);
    const res = k?.resources.length
      ? k.resources[c.target.resource % k.resources.length]
      : { dicomUid: '1.2.3', orthancId: 'o-123', level: 'study' };
    const ids: Record<string, Record<string, string | null>> = {
      both: { 'dicom-uid': res.dicomUid, 'orthanc-id': res.orthancId },
      uid: { 'dicom-uid': res.dicomUid },
      oid: { 'orthanc-id': res.orthancId },
      swapped: { 'dicom-uid': res.orthancId, 'orthanc-id': res.dicomUid },
      none: {},
      other: { 'dicom-uid': '1.2.999', 'orthanc-id': 'o-999' },
      mixed: { 'dicom-uid': res.dicomUid, 'orthanc-id': 'o-999' },
    };
    const more: Record<string, string> = {};
    const body: Record<string, unknown> = {
      ...ids[c.target.shape],
      level: c.level,
      method: c.method,
      'token-key': 'token',
      [c.serverKey]: c.server,
      uri: '/studies/x',
      labels: ['a'],
    };
    // Header values must be plain ASCII: a token with other characters goes in the body.
    const headerSafe = /^[\x21-\x7e]*$/.test(c.token);
    switch (headerSafe ? c.placement : 'value') {
      case 'value':
        body['token-value'] = c.token;
        break;
      case 'header':
        more.token = c.token;
        break;
      case 'header-bearer':
        more.token = `Bearer ${c.token}`;
        break;
      case 'value-bearer':
        body['token-value'] = `bearer  ${c.token}`;
        break;
      case 'header-wins-garbage':
        more.token = 'garbage.garbage.garbage';
        body['token-value'] = c.token;
        break;
      case 'value-only-garbage-header':
        more.token = c.token;
        body['token-value'] = 'garbage';
        break;
      case 'other-key':
        body['token-key'] = 'x-share';
        more['x-share'] = c.token;
        break;
      case 'padded':
        body['token-value'] = ` ${c.token}\n`;
        break;
      case 'authorization-bearer':
        // As the plugin sends a viewer's `Authorization: Bearer <token>`: the call's own Authorization is Basic.
        body['token-key'] = 'Authorization';
        body['token-value'] = `Bearer ${c.token}`;
        break;
      case 'authorization-empty':
        body['token-key'] = 'Authorization';
        body['token-value'] = '';
        break;
      case 'basic-header':
        // A Basic credential in the token header is never the token: token-value is read instead.
        body['token-key'] = 'x-share';
        body['token-value'] = c.token;
        more['x-share'] = 'Basic c2hhcmUtdXNlcjpjaGFuZ2UtbWU=';
        break;
      case 'basic-value':
        body['token-value'] = `Basic ${c.token}`;
        break;
    }
    const mutated = mutate(body, c.mutations);
    return { bytes: toBytes(mutated, c.raw, VALIDATE_KEYS), headers: transportHeaders(c.transport, more) };
  }

  it(`POST /tokens/validate: ${CASES.validate} mutated requests, never a 5xx, never a wrong grant`, async () => {
    await runCases('validate', validateCase, CASES.validate, async (c) => {
      const { bytes, headers } = buildValidate(c);
      const answer = await send(svc.url, {
        method: 'POST',
        path: '/tokens/validate',
        headers,
        body: bytes,
        chunks: c.transport.chunks ?? undefined,
      });
      tally(answer);
      const label = `validate ${bytes.toString('utf8').slice(0, 200)} headers=${JSON.stringify(headers).slice(0, 200)}`;
      assertSane(answer, label);
      if (c.transport.auth !== 'good') {
        // A body that cannot be parsed may be refused (400/413) before the credentials are looked at; never a 2xx.
        if (answer.status < 400) throw new Error(`${label}: ${answer.status} without valid credentials`);
        return;
      }
      const seen = parsedAsServiceSeesIt(bytes);
      const modelHeaders: Record<string, string> = {
        host: new URL(svc.url).host,
        connection: 'keep-alive',
        ...headers,
      };
      modelHeaders[c.transport.chunks ? 'transfer-encoding' : 'content-length'] = c.transport.chunks
        ? 'chunked'
        : String(bytes.length);
      const legit = seen.ok && mayGrant(seen.value, modelHeaders, known, Date.now());
      if (answer.status === 200) {
        const a = answer.json as { granted: unknown; validity: unknown };
        if (
          typeof a.granted !== 'boolean' ||
          !Number.isInteger(a.validity) ||
          (a.validity as number) < 0 ||
          (a.validity as number) > 60
        ) {
          throw new Error(`${label}: malformed answer ${answer.text}`);
        }
        if (a.granted && !legit) throw new Error(`${label}: WRONG GRANT ${answer.text}`);
        if (a.granted) stats.granted++;
      }
      if (legit && seen.ok && plainEnough(seen.value, bytes)) {
        stats.legit++;
        if (answer.status !== 200 || !(answer.json as { granted: boolean }).granted) {
          throw new Error(`${label}: a legitimate read was refused: ${answer.status} ${answer.text}`);
        }
      }
    });
    expect(stats.legit).toBeGreaterThan(100);
  });

  // ---------------------------------------------------------------------------------------------------------------
  const DECODE_KEYS = ['token-key', 'token-value', 'token_value', 'server-id'];
  const decodeCase = fc.record({
    token: tokenArb,
    decoration: fc.constantFrom('', 'Bearer ', ' ', 'bearer\t'),
    mutations: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 3, arbitrary: fc.array(mutationArb(DECODE_KEYS), { minLength: 1, maxLength: 3 }) },
    ),
    raw: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as RawMutation[]) },
      { weight: 1, arbitrary: fc.array(rawMutationArb, { minLength: 1, maxLength: 2 }) },
    ),
    transport: transportArb,
  });

  it(`POST /tokens/decode: ${CASES.decode} mutated requests, resources only for a genuine live token`, async () => {
    await runCases('decode', decodeCase, CASES.decode, async (c) => {
      const body = mutate({ 'token-key': 'token', 'token-value': c.decoration + c.token }, c.mutations);
      const bytes = toBytes(body, c.raw, DECODE_KEYS);
      const headers = transportHeaders(c.transport);
      const answer = await send(svc.url, {
        method: 'POST',
        path: '/tokens/decode',
        headers,
        body: bytes,
        chunks: c.transport.chunks ?? undefined,
      });
      tally(answer);
      const label = `decode ${bytes.toString('utf8').slice(0, 200)}`;
      assertSane(answer, label);
      if (c.transport.auth !== 'good') {
        // A body that cannot be parsed may be refused (400/413) before the credentials are looked at; never a 2xx.
        if (answer.status < 400) throw new Error(`${label}: ${answer.status} without valid credentials`);
        return;
      }
      const seen = parsedAsServiceSeesIt(bytes);
      const value = seen.ok && isPlainObject(seen.value) ? seen.value['token-value'] : undefined;
      const k = known.get(effectiveToken(value) ?? '');
      const live = !!k && k.genuine && !k.revoked && (k.expiresAt === null || k.expiresAt > Date.now());
      if (answer.status === 200) {
        const a = answer.json as { 'token-type': unknown; 'error-code': unknown; resources: unknown };
        if (!Array.isArray(a.resources)) throw new Error(`${label}: malformed answer ${answer.text}`);
        if (a['error-code'] === null || a.resources.length > 0) {
          if (!live) throw new Error(`${label}: DECODED A TOKEN THAT IS NOT LIVE ${answer.text}`);
          const expected = k.resources.map((r) => [r.dicomUid, r.orthancId, r.level]);
          const got = (a.resources as Array<Record<string, unknown>>).map((r) => [
            r['dicom-uid'],
            r['orthanc-id'],
            r.level,
          ]);
          expect(got).toEqual(expected);
          expect(a['token-type']).toBe(k.type);
          stats.decoded++;
        }
      }
      const wellTyped =
        seen.ok &&
        isPlainObject(seen.value) &&
        ['token-key', 'server-id'].every((f) => {
          const v = (seen.value as Record<string, unknown>)[f];
          return v === undefined || v === null || (typeof v === 'string' && v.length <= 256);
        });
      if (live && wellTyped && plainEnough((seen as { value: unknown }).value, bytes) && typeof value === 'string') {
        if (answer.status !== 200 || (answer.json as { 'error-code': unknown })['error-code'] !== null) {
          throw new Error(`${label}: a genuine token did not decode: ${answer.status} ${answer.text}`);
        }
      }
    });
    expect(stats.decoded).toBeGreaterThan(20);
  });

  // ---------------------------------------------------------------------------------------------------------------
  const TYPES = [
    'stone-viewer-publication',
    'osimis-viewer-publication',
    'volview-viewer-publication',
    'viewer-instant-link',
    'download-instant-link',
  ];
  const UNCONFIGURED = ['ohif-viewer-publication', 'meddream-viewer-publication', 'meddream-instant-link'];
  const CREATE_KEYS = [
    'id',
    'resources',
    'type',
    'expiration-date',
    'validity-duration',
    'expiration_date',
    'validity_duration',
  ];
  const resourceArb = fc.record(
    {
      'dicom-uid': fc.oneof(fc.constant('1.2.840.1'), fc.constant(null), nastyString),
      'orthanc-id': fc.oneof(fc.constant('o-1'), fc.constant(null), nastyString),
      level: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...LEVELS, 'system') },
        { weight: 1, arbitrary: hostileValue },
      ),
    },
    { requiredKeys: ['level'] },
  );
  const createCase = fc.record({
    pathType: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...TYPES) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...UNCONFIGURED,
          '__proto__',
          'constructor',
          '..%2f..%2fhealth',
          'x'.repeat(500),
          '%F0%9F%A9%BB',
        ),
      },
    ),
    bodyType: fc.constantFrom('same', 'same', 'same', 'other'),
    resources: fc.array(resourceArb, { maxLength: 4 }),
    expiry: fc.oneof(
      fc.constant({}),
      fc.record({
        'validity-duration': fc.oneof(
          fc.integer({ min: 0, max: 10_000_000 }),
          fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, '3600', null),
        ),
      }),
      fc.record({
        'expiration-date': fc.oneof(
          fc.constantFrom(
            '2099-01-01T00:00:00Z',
            '2099-01-01T00:00:00',
            '2001-01-01',
            '+275760-09-13T00:00:00Z',
            '2099-13-45T99:99:99Z',
            'tomorrow',
            '',
            '2099-01-01T00:00:00+25:00',
          ),
          nastyString,
        ),
      }),
    ),
    mutations: fc.oneof(
      { weight: 2, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 3, arbitrary: fc.array(mutationArb(CREATE_KEYS), { minLength: 1, maxLength: 3 }) },
    ),
    raw: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as RawMutation[]) },
      { weight: 1, arbitrary: fc.array(rawMutationArb, { minLength: 1, maxLength: 2 }) },
    ),
    transport: transportArb,
    bearer: fc.boolean(),
  });

  it(`PUT /tokens/{type}: ${CASES.create} mutated requests, and every token made says exactly what was asked`, async () => {
    await runCases('create', createCase, CASES.create, async (c) => {
      const type = c.bodyType === 'same' ? c.pathType : 'viewer-instant-link';
      const body = mutate({ id: 'fuzz', type, resources: c.resources, ...c.expiry }, c.mutations);
      const bytes = toBytes(body, c.raw, CREATE_KEYS);
      const headers = transportHeaders(c.transport);
      // Keycloak is off here: a bearer token (even a share token) must never stand for the caller's credentials.
      if (c.bearer && c.transport.auth === 'good') headers.authorization = `Bearer ${tokens[0].token}`;
      const answer = await send(svc.url, {
        method: 'PUT',
        path: `/tokens/${c.pathType}`,
        headers,
        body: bytes,
        chunks: c.transport.chunks ?? undefined,
      });
      tally(answer);
      const label = `create ${c.pathType} ${bytes.toString('utf8').slice(0, 200)}`;
      assertSane(answer, label);
      if (answer.status !== 200) return;
      if (c.transport.auth !== 'good' || c.bearer) throw new Error(`${label}: created without valid Basic credentials`);
      const seen = parsedAsServiceSeesIt(bytes);
      if (!seen.ok || !isPlainObject(seen.value)) throw new Error(`${label}: 200 for a body that is not a JSON object`);
      const a = answer.json as { token: string; request: { type: string; resources: Array<Record<string, unknown>> } };
      if (seen.value.type !== c.pathType || !TYPES.includes(c.pathType))
        throw new Error(`${label}: 200 for a mismatched or unconfigured type`);
      // The token is a genuine share token whose resources are the echo's, which are the request's.
      const check = await call(svc.url, 'POST', '/tokens/decode', { 'token-value': a.token });
      const sent = (seen.value.resources as Array<Record<string, unknown>>).map((r) => [
        r['dicom-uid'] ?? r.dicom_uid ?? null,
        r['orthanc-id'] ?? r.orthanc_id ?? null,
        r.level,
      ]);
      const echoed = a.request.resources.map((r) => [r['dicom-uid'], r['orthanc-id'], r.level]);
      expect(echoed).toEqual(sent);
      if (check.body['error-code'] === null) {
        expect(
          check.body.resources.map((r: Record<string, unknown>) => [r['dicom-uid'], r['orthanc-id'], r.level]),
        ).toEqual(sent);
      } else {
        expect(check.body['error-code']).toBe('expired');
      }
      stats.created++;
    });
    expect(stats.created).toBeGreaterThan(50);
  });
});
