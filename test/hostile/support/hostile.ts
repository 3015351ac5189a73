import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { BASIC } from '../../support/app';

// Shared tools of the hostile-input suites: a raw HTTP client (exact bytes, chunked or not, any headers), the
// invariants every answer must hold, a property runner that sends its cases in concurrent batches and reports the
// seed, and the arbitraries that make hostile bodies out of valid ones.

export interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** The exact body bytes (JSON text, possibly broken). */
  body?: Buffer;
  /** Sent with Transfer-Encoding: chunked, split in these many pieces (else Content-Length). */
  chunks?: number;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
  isJson: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: 20 });

/** One request with exactly these headers and bytes (nothing added but Host and the framing header). */
export function send(base: string, req: Sent): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    const body = req.body;
    if (body && !req.chunks) headers['content-length'] = String(body.length);
    if (body && req.chunks) headers['transfer-encoding'] = 'chunked';
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: url.pathname.replace(/\/$/, '') + req.path,
        headers,
        agent,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          let isJson = true;
          try {
            json = JSON.parse(text);
          } catch {
            isJson = false;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text,
            json,
            isJson,
          });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (body && req.chunks) {
      const size = Math.max(1, Math.ceil(body.length / req.chunks));
      for (let i = 0; i < body.length; i += size) r.write(body.subarray(i, i + size));
      r.end();
    } else {
      r.end(body);
    }
  });
}

/** The invariants of every answer: no 5xx, a JSON content type, a body that parses as JSON. */
export function assertSane(answer: Answer, label: string): void {
  if (answer.status >= 500)
    process.stdout.write(`[hostile] 5xx: ${label.slice(0, 500)} -> ${answer.status} ${answer.text.slice(0, 300)}\n`);
  if (answer.status >= 500 || !/^application\/json/.test(answer.contentType) || !answer.isJson) {
    throw new Error(`${label}: ${answer.status} ${answer.contentType} ${answer.text.slice(0, 300)}`);
  }
}

/** Cases run per route, printed by each suite's afterAll. */
export const counts = new Map<string, number>();
function count(route: string, n = 1): void {
  counts.set(route, (counts.get(route) ?? 0) + n);
}

export function seedFor(name: string): number {
  const fromEnv = process.env.HOSTILE_SEED;
  const seed = fromEnv !== undefined ? Number(fromEnv) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  process.stdout.write(`[hostile] ${name}: seed ${seed} (rerun with HOSTILE_SEED=${seed})\n`);
  return seed;
}

/**
 * Runs `cases` generated cases of `arb`, `batch` at a time concurrently (one fast-check run = one batch), through
 * `check` (which throws on a broken invariant). The seed is printed up front and again on failure.
 */
export async function runCases<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  cases: number,
  check: (c: T) => Promise<void>,
  batch = 20,
): Promise<number> {
  const seed = seedFor(name);
  let run = 0;
  const details = await fc.check(
    fc.asyncProperty(fc.array(arb, { minLength: batch, maxLength: batch }), async (items) => {
      await Promise.all(items.map(check));
      run += items.length;
    }),
    { numRuns: Math.ceil(cases / batch), seed, endOnFailure: true },
  );
  count(name, run);
  if (details.failed) {
    // The counterexample (20 hostile bodies) is too big to print usefully: the seed and the cause say it all.
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${name} FAILED after ${run} cases; rerun with HOSTILE_SEED=${seed} (path ${details.counterexamplePath}):\n${cause.slice(0, 2000)}`,
    );
  }
  return run;
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

/** Strings that break naive code: NUL, lone surrogates, RTL overrides, emoji, BOM, injection look-alikes. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\u202e\u202dRTL',
  '\u200f\u061c',
  '👨‍👩‍👧‍👦',
  '🩻'.repeat(50),
  '\ufeff',
  '\r\n',
  'Bearer ',
  'bearer\t',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '..\\..\\windows',
  "' OR 1=1 --",
  '"; DROP TABLE shares; --',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '%00',
  '%2e%2e%2f',
  'a'.repeat(1025),
  'Ω'.repeat(300),
  '1.2.840.10008.1.2',
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** A value of any JSON type, odd strings included, sometimes huge (strings up to 200 kB, arrays of 20k items). */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, [], {}) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => 'x'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => (i % 2 ? 'a' : 1))),
  },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 60 }).map((n) => nest(n)) },
);

/** Arrays nested n deep: `[[[...]]]`. */
function nest(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations: start from a valid body, change a few things, at the value level and at the byte level

export type Mutation =
  | { op: 'delete'; key: number }
  | { op: 'set'; key: number | string; value: unknown }
  | { op: 'respell'; key: number }
  | { op: 'not-object'; value: unknown };

export type RawMutation =
  | { op: 'duplicate-key'; key: number; value: unknown }
  | { op: 'truncate'; at: number }
  | { op: 'bad-utf8'; at: number; bytes: readonly number[] }
  | { op: 'bom' }
  | { op: 'empty' }
  | { op: 'oversize' };

export function mutationArb(extraKeys: string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat() }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('set' as const),
        key: fc.oneof(fc.nat(), fc.constantFrom(...extraKeys), nastyString),
        value: hostileValue,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('respell' as const), key: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('not-object' as const), value: hostileValue }) },
  );
}

export const rawMutationArb: fc.Arbitrary<RawMutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('duplicate-key' as const), key: fc.nat(), value: hostileValue }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bad-utf8' as const),
      at: fc.nat(),
      bytes: fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80]),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'bom' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'empty' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'oversize' as const }) },
);

function respell(key: string): string {
  return key.includes('-') ? key.replace(/-/g, '_') : key.replace(/_/g, '-');
}

/** Applies value-level mutations to a copy of a body. */
export function mutate(body: Record<string, unknown>, mutations: Mutation[]): unknown {
  let out: unknown = { ...body };
  for (const m of mutations) {
    if (out === null || typeof out !== 'object' || Array.isArray(out)) break;
    const o = out as Record<string, unknown>;
    const keys = Object.keys(o);
    const pickKey = (k: number | string) => (typeof k === 'string' ? k : keys.length ? keys[k % keys.length] : 'empty');
    if (m.op === 'delete') delete o[pickKey(m.key)];
    else if (m.op === 'set')
      Object.defineProperty(o, pickKey(m.key), {
        value: structuredClone(m.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else if (m.op === 'respell') {
      const k = pickKey(m.key);
      if (k in o) {
        const v = o[k];
        delete o[k];
        o[respell(k)] = v;
      }
    } else out = structuredClone(m.value);
  }
  return out;
}

/** Serialises a body and applies byte-level mutations (duplicated keys, truncation, BOM, then invalid UTF-8). */
export function toBytes(body: unknown, raw: RawMutation[], keys: string[]): Buffer {
  let text = JSON.stringify(body) ?? 'null';
  for (const m of raw) {
    if (m.op === 'duplicate-key' && text.endsWith('}') && text.length > 2) {
      const key = keys[m.key % keys.length];
      text = `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(m.value) ?? 'null'}}`;
    } else if (m.op === 'truncate') {
      text = text.slice(0, m.at % (text.length + 1));
    } else if (m.op === 'bom') {
      text = `\ufeff${text}`;
    } else if (m.op === 'empty') {
      text = '';
    } else if (m.op === 'oversize' && text.endsWith('}') && text.length > 2) {
      text = `${text.slice(0, -1)},"pad":"${'x'.repeat(1_100_000)}"}`; // over the 1 MiB body limit
    }
  }
  let bytes = Buffer.from(text, 'utf8');
  for (const m of raw) {
    if (m.op !== 'bad-utf8') continue;
    const at = m.at % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
  }
  return bytes;
}

/** What the service sees once it decodes the bytes as UTF-8 and parses them: the oracle's view of the body. */
export function parsedAsServiceSeesIt(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  const text = bytes.toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Transport: credentials, content types, framing, extra headers

export interface Transport {
  auth: 'good' | 'none' | 'wrong' | 'garbage';
  contentType: string | null;
  chunks: number | null;
  extraHeaders: Record<string, string>;
}

const HEADER_VALUE = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'Bearer',
    'Bearer ',
    'null',
    'x'.repeat(4000),
    'Basic',
    'Basic !!!',
    'Basic Og==',
    'a,b',
    '\t',
  ),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
);

export const transportArb: fc.Arbitrary<Transport> = fc.record({
  auth: fc.oneof(
    { weight: 8, arbitrary: fc.constant('good' as const) },
    { weight: 1, arbitrary: fc.constantFrom('none' as const, 'wrong' as const, 'garbage' as const) },
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    null,
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
  ),
  chunks: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) },
  ),
  extraHeaders: fc.dictionary(
    fc.constantFrom(
      'token',
      'api-key',
      'x-forwarded-for',
      'x-http-method-override',
      'content-encoding',
      'expect-ct',
      'x-token',
    ),
    HEADER_VALUE,
    { maxKeys: 2 },
  ),
});

const WRONG_BASIC = `Basic ${Buffer.from('share-user:wrong').toString('base64')}`;

export function transportHeaders(t: Transport, more: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...t.extraHeaders, ...more };
  if (t.auth === 'good') h.authorization = BASIC;
  else if (t.auth === 'wrong') h.authorization = WRONG_BASIC;
  else if (t.auth === 'garbage') h.authorization = 'Basic !!!not base64';
  if (t.contentType) h['content-type'] = t.contentType;
  return h;
}

/** Trim, then a leading `Bearer ` off (PROTOCOL.md section 4). */
export function effectiveToken(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const t = raw.trim().replace(/^bearer\s+/i, '');
  return t || null;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
