import fc from 'fast-check';
import { BASIC, call, RunningApp, startApp } from '../support/app';
import { Answer, assertSane, counts, runCases, send } from './support/hostile';

// Generated nesting, field by field: every body field of every JSON route gets a value of the wrong shape (arrays in
// arrays, objects where a string is expected, an array of arrays where an array of objects is, numbers too large for
// any field, a value wrapped in containers up to 6 deep). Each such body is bad input: a JSON 400 whose message names
// that field (by its path: `resources.0`, `roles.doctor.permissions`), never a 2xx, never a 5xx (a 503 would tell the
// client to retry what can never succeed), and no error-level log line (a bad request is not a fault of the service).
// The seed is printed and replayable (HOSTILE_SEED=<seed>).

jest.setTimeout(300_000);
const CASES_PER_FIELD = 40;

/** What a field takes: its wrong shapes follow from it. */
type Kind = 'text' | 'texts' | 'int' | 'enum' | 'objects' | 'strings' | 'map' | 'object';

interface Field {
  /** Where the hostile value goes in the valid body. */
  path: Array<string | number>;
  kind: Kind;
  /** The valid value of the field (the leaf that nesting wraps); an element of it for lists and maps. */
  leaf: unknown;
  /** The name the 400 must give (the canonical spelling for an alternative key). */
  named: string;
  /** The key removed beside it: an alternative spelling is read only when the kebab-case key is absent. */
  instead?: string;
}

interface Route {
  method: string;
  path: string;
  body: Record<string, unknown>;
  fields: Field[];
}

/** Stands for a number JSON can write but JavaScript cannot hold (1e400): sent as is in the text. */
const RAW_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890'];
const RAW = (n: string) => `\u0000raw:${n}`;

function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:([^"]+)"/g, '$1');
}

const HUGE_NUMBERS: unknown[] = [1e308, -1e308, 2 ** 64, 2 ** 53 + 1, -(2 ** 63), 1.5, -0.5, ...RAW_NUMBERS.map(RAW)];

/** A value wrapped in 1 to 6 containers: `[v]`, `[v, v]`, `{"k": v}`, `[[v]]`, `{"a": [v]}`... */
function nestedAround(leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const wrapper = fc.oneof(
    fc.constant((v: unknown) => [v]),
    fc.constant((v: unknown) => [v, v]),
    fc.constant((v: unknown) => [[v]]),
    fc.constant((v: unknown) => ({ k: v })),
    fc.constant((v: unknown) => ({ 'dicom-uid': v, level: 'study' })),
    fc.constant((v: unknown) => [v, {}]),
  );
  return fc
    .tuple(leaf, fc.array(wrapper, { minLength: 1, maxLength: 6 }))
    .map(([v, wraps]) => wraps.reduce((acc, wrap) => wrap(acc), v));
}

const scalar = fc.oneof(
  fc.constantFrom<unknown>(...HUGE_NUMBERS, true, false, 0, -1, '', 'x', null),
  fc.string({ maxLength: 8 }),
);

/** A value the field never takes: wrong shape, wrong type, or out of range, nested or not. */
function hostileFor(field: Field): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(fc.constant(field.leaf), scalar);
  const nested = nestedAround(leaf);
  switch (field.kind) {
    case 'text':
      return fc.oneof(nested, fc.constantFrom<unknown>(...HUGE_NUMBERS, true, false, 0));
    case 'texts':
      // A string or a list of strings (email-code: one or several addresses): any other shape, nested or not.
      return fc.oneof(
        nested.filter((v) => !(Array.isArray(v) && v.every((e) => typeof e === 'string'))),
        fc.constantFrom<unknown>(...HUGE_NUMBERS, true, false, 0),
      );
    case 'int':
      return fc.oneof(nested, fc.constantFrom<unknown>(...HUGE_NUMBERS, true, '60', '', {}, []));
    case 'enum':
      return fc.oneof(nested, fc.constantFrom<unknown>(...HUGE_NUMBERS, true, 0, '', `${String(field.leaf)}x`));
    case 'objects':
      // An array whose some element is not an object (an array, a string, a number), or no array at all.
      return fc.oneof(
        nested.filter((v) => !(Array.isArray(v) && v.every((e) => isObject(e)))),
        fc
          .tuple(nestedAround(leaf), fc.nat(3))
          .map(([bad, at]) => [...Array(at).fill(field.leaf), Array.isArray(bad) ? bad : [bad]]),
        fc.constantFrom<unknown>(...HUGE_NUMBERS, 'x', true, field.leaf),
      );
    case 'strings':
      return fc.oneof(
        nested.filter((v) => !(Array.isArray(v) && v.every((e) => typeof e === 'string'))),
        fc.tuple(nestedAround(leaf), fc.nat(2)).map(([bad, at]) => [...Array(at).fill(field.leaf), bad]),
        fc.constantFrom<unknown>(...HUGE_NUMBERS, 'x', true, field.leaf),
      );
    case 'map':
    case 'object':
      return fc.oneof(
        nested.filter((v) => Array.isArray(v)),
        fc.constantFrom<unknown>(...HUGE_NUMBERS, 'x', true, [field.leaf], [[field.leaf]]),
      );
  }
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function withValue(body: Record<string, unknown>, field: Field, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let at: any = copy;
  for (const key of field.path.slice(0, -1)) at = at[key];
  if (field.instead) delete at[field.instead];
  at[field.path[field.path.length - 1]] = value;
  return copy;
}

const STUDY = {
  'dicom-uid': '1.2.840.1',
  'orthanc-id': 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
  level: 'study',
};
const text = (path: Array<string | number>, leaf: unknown = 'x', named = path.join('.')): Field => {
  const key = String(path[path.length - 1]);
  const kebab = named.slice(named.lastIndexOf('.') + 1);
  return { path, kind: 'text', leaf, named, ...(kebab !== key ? { instead: kebab } : {}) };
};

/** Every JSON body of the service, and each of its fields (alternative spellings too). */
function routes(share: string): Route[] {
  const resource = (key: string, named = `resources.0.${key}`): Field =>
    text(['resources', 0, key], STUDY['dicom-uid'], named);
  return [
    {
      method: 'PUT',
      path: '/tokens/stone-viewer-publication',
      body: {
        id: 'nesting',
        resources: [STUDY],
        type: 'stone-viewer-publication',
        'expiration-date': null,
        'validity-duration': 3600,
      },
      fields: [
        text(['id']),
        { path: ['resources'], kind: 'objects', leaf: STUDY, named: 'resources' },
        resource('dicom-uid'),
        resource('orthanc-id'),
        resource('url'),
        resource('dicom_uid', 'resources.0.dicom-uid'),
        resource('orthanc_id', 'resources.0.orthanc-id'),
        { path: ['resources', 0, 'level'], kind: 'enum', leaf: 'study', named: 'resources.0.level' },
        { path: ['type'], kind: 'enum', leaf: 'stone-viewer-publication', named: 'type' },
        text(['expiration-date'], '2099-01-01T00:00:00Z'),
        text(['expiration_date'], '2099-01-01T00:00:00Z', 'expiration-date'),
        { path: ['validity-duration'], kind: 'int', leaf: 3600, named: 'validity-duration' },
        {
          path: ['validity_duration'],
          kind: 'int',
          leaf: 3600,
          named: 'validity-duration',
          instead: 'validity-duration',
        },
        text(['password'], 'a long enough password'),
        { ...text(['email-code'], 'patient@example.org'), kind: 'texts' },
        { ...text(['email_code'], 'patient@example.org', 'email-code'), kind: 'texts' },
      ],
    },
    {
      method: 'POST',
      path: '/tokens/decode',
      body: { 'token-key': 'token', 'token-value': share },
      fields: [text(['token-key'], 'token'), text(['token-value'], share)],
    },
    {
      method: 'POST',
      path: '/tokens/validate',
      body: {
        'dicom-uid': STUDY['dicom-uid'],
        'orthanc-id': STUDY['orthanc-id'],
        'token-key': 'token',
        'token-value': share,
        'server-id': null,
        level: 'study',
        method: 'get',
      },
      fields: [
        text(['dicom-uid']),
        text(['orthanc-id']),
        text(['token-key'], 'token'),
        text(['token-value'], share),
        text(['server-id']),
        text(['uri'], '/studies/x'),
        { path: ['level'], kind: 'enum', leaf: 'study', named: 'level' },
        { path: ['method'], kind: 'enum', leaf: 'get', named: 'method' },
      ],
    },
    {
      method: 'POST',
      path: '/tokens/validate',
      // The other spellings are read only when the kebab-case key is absent: checked then.
      body: { level: 'study', method: 'get', 'token-value': share },
      fields: [text(['dicom_uid']), text(['orthanc_id']), text(['identifier'])],
    },
    {
      method: 'POST',
      path: '/user/get-profile',
      body: { 'token-key': 'token', 'token-value': 'x', 'server-id': null },
      fields: [text(['token-key'], 'token'), text(['token-value']), text(['server-id']), text(['user-id'], 'u-1')],
    },
    {
      method: 'PUT',
      path: '/settings/roles',
      body: {
        roles: { doctor: { permissions: ['view'], 'authorized-labels': ['*'] } },
        'available-labels': ['a'],
      },
      fields: [
        { path: ['roles'], kind: 'map', leaf: { permissions: ['view'] }, named: 'roles' },
        { path: ['roles', 'doctor'], kind: 'object', leaf: { permissions: ['view'] }, named: 'roles.doctor' },
        { path: ['roles', 'doctor', 'permissions'], kind: 'strings', leaf: 'view', named: 'roles.doctor.permissions' },
        {
          path: ['roles', 'doctor', 'authorized-labels'],
          kind: 'strings',
          leaf: '*',
          named: 'roles.doctor.authorized-labels',
        },
        { path: ['available-labels'], kind: 'strings', leaf: 'a', named: 'available-labels' },
      ],
    },
    {
      method: 'POST',
      path: '/shares/revoke-token',
      body: { token: share },
      fields: [{ path: ['token'], kind: 'text', leaf: share, named: 'token' }],
    },
    {
      method: 'POST',
      path: '/emails/send',
      body: {
        'destination-email': 'patient@example.org',
        'email-title': 'Your images',
        'email-content': '<p>x</p>',
        'layout-template': null,
      },
      fields: [
        text(['destination-email'], 'patient@example.org'),
        text(['email-title']),
        text(['email-content']),
        text(['layout-template'], 'layout.html'),
      ],
    },
  ];
}

const messageOf = (a: Answer) => [(a.json as { message?: string | string[] } | undefined)?.message ?? []].flat();

describe('hostile nesting in every field of every JSON body (property-based)', () => {
  let svc: RunningApp;
  let share: string;

  beforeAll(async () => {
    svc = await startApp(
      {
        PUBLIC_ORTHANC_ROOT: 'http://pacs.example/orthanc/',
        PUBLIC_SHARE_PAGE_ROOT: 'http://pacs.example/share/',
        ENABLE_EMAILS: 'true',
        // Nothing is ever sent: every body here is refused before.
        EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
        EMAILS_SMTP_SERVER_PORT: '9',
        EMAILS_SENDER_ADDRESS: 'orthanc@hospital.example.org',
        TOKEN_CREATION_LIMIT_BASIC: '0',
      },
      { captureLogs: true },
    );
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      resources: [STUDY],
      type: 'stone-viewer-publication',
    });
    expect(res.status).toBe(200);
    share = res.body.token;
  });
  afterAll(async () => {
    await svc?.close();
    process.stdout.write(`[hostile] nesting cases: ${JSON.stringify([...counts])}\n`);
  });

  it('the issue-24 case: resources as an array of arrays is a 400 naming resources.0, not a 503', async () => {
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      resources: [[{ 'dicom-uid': '1.2.3', level: 'study' }]],
      type: 'stone-viewer-publication',
    });
    expect(res.status).toBe(400);
    expect(res.body.message.join(' ')).toMatch(/resources\.0\b/);
  });

  it('every field of every body: a wrong shape, nested or not, is a 400 naming the field, never logged as an error', async () => {
    const all = routes(share);
    // The valid bodies are accepted (so that a 400 below is the field's doing).
    for (const route of all) {
      if (route.path === '/emails/send') continue; // valid would send: the SMTP server is a closed port
      const ok = await call(svc.url, route.method, route.path, route.body);
      expect({ route: route.path, status: ok.status }).toEqual({ route: route.path, status: 200 });
    }
    const cases = all.flatMap((route) => route.fields.map((field) => ({ route, field })));
    const arb = fc
      .constantFrom(...cases)
      .chain(({ route, field }) => hostileFor(field).map((value) => ({ route, field, value })));
    await runCases('nesting', arb, CASES_PER_FIELD * cases.length, async ({ route, field, value }) => {
      const text = toJson(withValue(route.body, field, value));
      const answer = await send(svc.url, {
        method: route.method,
        path: route.path,
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        body: Buffer.from(text),
      });
      const label = `${route.method} ${route.path} ${field.path.join('.')} = ${text.slice(0, 300)}`;
      assertSane(answer, label);
      const messages = messageOf(answer);
      if (answer.status !== 400 || !messages.some((m) => m.includes(field.named))) {
        throw new Error(
          `${label}: ${answer.status} ${answer.text.slice(0, 300)} (expected a 400 naming ${field.named})`,
        );
      }
    });
    const errors = svc.logs.filter((line) => /"level":"(error|fatal)"/.test(line));
    expect(errors).toEqual([]);
  });
});
