import { CompactSign, compactVerify, errors, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { JwksKeyStore, JwksUnavailableError } from './jwks-key-store';

// The key store by `new`, with a fake key-set endpoint and jest's fake clock: the cooldown rules are checked as
// counts of fetches and outcomes, at exact simulated times, never as wall-clock durations.

const COOLDOWN = 3000;
let k1: JWK;
let k2: JWK;
/** The private half of each key, by kid: what tells which key the store answered. */
const privateKeys = new Map<string, CryptoKey>();

beforeAll(async () => {
  const jwk = async (kid: string) => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKeys.set(kid, pair.privateKey);
    return { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
  };
  k1 = await jwk('k1');
  k2 = await jwk('k2');
});

/** The kid of the key pair whose signature `key` verifies: which key the store gave back. */
async function kidOf(key: CryptoKey): Promise<string | undefined> {
  for (const [kid, privateKey] of privateKeys) {
    const jws = await new CompactSign(new TextEncoder().encode(kid))
      .setProtectedHeader({ alg: 'RS256' })
      .sign(privateKey);
    if (
      await compactVerify(jws, key).then(
        () => true,
        () => false,
      )
    )
      return kid;
  }
  return undefined;
}

/** A key-set endpoint serving `keys` (or failing with `down`), counting its fetches. */
function endpoint() {
  const state = { keys: [] as JWK[], down: false, fetches: 0 };
  const fetchImpl = (async () => {
    state.fetches++;
    if (state.down) throw new TypeError('fetch failed');
    return new Response(JSON.stringify({ keys: state.keys }), { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { state, fetchImpl };
}

function storeOn(fetchImpl: typeof fetch, over: Partial<ConstructorParameters<typeof JwksKeyStore>[0]> = {}) {
  return new JwksKeyStore({
    jwksUri: 'http://idp.test/jwks',
    timeoutMs: 1000,
    cooldownMs: COOLDOWN,
    maxAgeMs: 60_000,
    fetchImpl,
    ...over,
  });
}

const header = (kid: unknown) => ({ alg: 'RS256', kid }) as { alg: string; kid?: string };
const noMatch = expect.any(errors.JWKSNoMatchingKey);

/** Settles a promise while the fake clock runs, reporting when (simulated ms after `start`) it settled. */
async function settle<T>(p: Promise<T>, start: number): Promise<{ at: number; value?: T; error?: unknown }> {
  let out: { at: number; value?: T; error?: unknown } | undefined;
  p.then(
    (value) => (out = { at: Date.now() - start, value }),
    (error: unknown) => (out = { at: Date.now() - start, error }),
  );
  for (let i = 0; i < 200 && !out; i++) await jest.advanceTimersByTimeAsync(50);
  if (!out) throw new Error('never settled');
  return out;
}

describe('JwksKeyStore', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_800_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('fetches once, then serves the cached set while it is fresh', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl);
    state.keys = [k2, k1];
    expect(await kidOf(await store.getKey(header('k1')))).toBe('k1');
    expect(await kidOf(await store.getKey(header('k2')))).toBe('k2');
    expect(await kidOf(await store.getKey(header('k1')))).toBe('k1');
    expect(state.fetches).toBe(1);
    await jest.advanceTimersByTimeAsync(60_000);
    await store.getKey(header('k1'));
    expect(state.fetches).toBe(2); // past maxAge
  });

  it('an unknown kid after the cooldown refetches at once', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl);
    await store.getKey(header('k1'));
    await jest.advanceTimersByTimeAsync(COOLDOWN);
    state.keys = [k2, k1];
    const start = Date.now();
    const rotated = await settle(store.getKey(header('k2')), start);
    expect(rotated.at).toBe(0);
    expect(await kidOf(rotated.value!)).toBe('k2');
    expect(state.fetches).toBe(2);
  });

  it('a wait for the cooldown that ends a millisecond early by Date.now() still fetches (timers run on another clock)', async () => {
    // What made the e2e suite refuse a never-seen kid as "no such key" while the realm was down (once, in CI): the
    // timer fired, Date.now() said the cooldown had 1 ms to go, and the waiter went on without fetching.
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    let fireAt = Number.NaN;
    const store = storeOn(fetchImpl, { now: () => (Date.now() === fireAt ? fireAt - 1 : Date.now()) });
    await store.getKey(header('k1'));
    fireAt = Date.now() + COOLDOWN;
    await jest.advanceTimersByTimeAsync(100);
    state.keys = [k2, k1];
    const rotated = await settle(store.getKey(header('k2')), Date.now());
    expect(rotated.error).toBeUndefined();
    expect(await kidOf(rotated.value!)).toBe('k2');
    expect(state.fetches).toBe(2);

    state.down = true;
    fireAt = Date.now() + COOLDOWN;
    const unavailable = await settle(store.getKey(header('k3')), Date.now());
    expect(unavailable.error).toBeInstanceOf(JwksUnavailableError);
  });

  it('a flood of unknown kids within the cooldown waits for one fetch at its end, then a rotation is picked up within one more cooldown', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl);
    await store.getKey(header('k1'));
    await jest.advanceTimersByTimeAsync(100);
    const start = Date.now();
    const flood = await Promise.all(
      Array.from({ length: 50 }, (_, i) => settle(store.getKey(header(`random-${i}`)), start)),
    );
    for (const r of flood) {
      expect(r.error).toEqual(noMatch);
      expect(r.at).toBeGreaterThanOrEqual(COOLDOWN - 100);
      expect(r.at).toBeLessThanOrEqual(COOLDOWN);
    }
    expect(state.fetches).toBe(2); // the flood cost one fetch

    // The provider starts signing with a new key right after: its first token waits for the next fetch, at most a cooldown.
    state.keys = [k2];
    const rotated = Date.now();
    const first = await settle(store.getKey(header('k2')), rotated);
    expect(first.error).toBeUndefined();
    expect(await kidOf(first.value!)).toBe('k2');
    expect(first.at).toBeLessThanOrEqual(COOLDOWN);
    expect(state.fetches).toBe(3);
  });

  it('a kid that the latest fetch did not bring is refused at once, without a fetch, until the next one is due', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl);
    await store.getKey(header('k1'));
    const start = Date.now();
    expect((await settle(store.getKey(header('gone')), start)).at).toBe(COOLDOWN); // waited once for the fetch
    const again = Date.now();
    const repeat = await settle(store.getKey(header('gone')), again);
    expect(repeat).toEqual({ at: 0, error: noMatch });
    expect(state.fetches).toBe(2);
    await jest.advanceTimersByTimeAsync(COOLDOWN);
    await expect(store.getKey(header('gone'))).rejects.toEqual(noMatch);
    expect(state.fetches).toBe(3); // due again: one more look
  });

  it('bounds the lookups waiting for the cooldown, and never fetches for kids no key set holds', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl, { maxWaiters: 2 });
    await store.getKey(header('k1'));
    const start = Date.now();
    const answers = await Promise.all(['a', 'b', 'c'].map((kid) => settle(store.getKey(header(kid)), start)));
    expect(answers.map((a) => a.at).sort((x, y) => x - y)).toEqual([0, COOLDOWN, COOLDOWN]);
    for (const kid of ['k'.repeat(513), 42, { $ne: null }]) {
      await expect(store.getKey(header(kid))).rejects.toEqual(noMatch);
    }
    expect(state.fetches).toBe(2);
  });

  it('cooldown 0: every unknown kid refetches at once', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const store = storeOn(fetchImpl, { cooldownMs: 0 });
    await store.getKey(header('k1'));
    for (const kid of ['x', 'y', 'x']) await expect(store.getKey(header(kid))).rejects.toEqual(noMatch);
    expect(state.fetches).toBe(4); // no cooldown: a look for each
  });

  it('provider down: stale keys keep verifying (reported once), a never-seen kid is unavailable, nothing before the first fetch', async () => {
    const { state, fetchImpl } = endpoint();
    state.keys = [k1];
    const stale: unknown[] = [];
    const store = storeOn(fetchImpl, { maxAgeMs: 1000, onStale: (err) => stale.push(err) });
    await store.getKey(header('k1'));
    state.down = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(await kidOf(await store.getKey(header('k1')))).toBe('k1'); // the last keys keep verifying
    expect(await kidOf(await store.getKey(header('k1')))).toBe('k1');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toBeInstanceOf(JwksUnavailableError);
    const start = Date.now();
    expect((await settle(store.getKey(header('new')), start)).error).toBeInstanceOf(JwksUnavailableError);

    const down = endpoint();
    down.state.down = true;
    await expect(storeOn(down.fetchImpl).getKey(header('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    const empty = storeOn(endpoint().fetchImpl); // reachable, but no key yet: a verdict, after one more look
    expect((await settle(empty.getKey(header('k1')), Date.now())).error).toEqual(noMatch);
  });

  it('an answer that is not a key set is an outage, not a verdict', async () => {
    for (const body of ['<html>', '{"keys": "no"}', 'x'.repeat(1024 * 1024 + 1)]) {
      const store = storeOn(async () => new Response(body));
      await expect(store.getKey(header('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    }
    for (const status of [500, 204, 302]) {
      const headers = status === 302 ? { location: 'http://elsewhere.test/jwks' } : undefined;
      const store = storeOn(async () => new Response(status === 204 ? null : '{"keys":[]}', { status, headers }));
      await expect(store.getKey(header('k1'))).rejects.toBeInstanceOf(JwksUnavailableError);
    }
  });
});
