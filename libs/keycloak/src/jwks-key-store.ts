import { createLocalJWKSet, errors } from 'jose';
import type { CryptoKey, FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters } from 'jose';

/** The provider's key set could not be fetched (down, timeout, not a JWKS): an outage, not a verdict on a token. */
export class JwksUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'JwksUnavailableError';
  }
}

export interface JwksKeyStoreOptions {
  jwksUri: string;
  timeoutMs: number;
  /** After a fetch, how long before the next one for an unknown kid (those arriving meanwhile wait for it). */
  cooldownMs: number;
  /** How long a fetched set is fresh; past it, the next lookup refetches (and keeps the old keys if that fails). */
  maxAgeMs: number;
  /** At most this many lookups wait for the end of a cooldown at once; beyond, an unknown kid is refused at once. */
  maxWaiters?: number;
  /** Counts each fetch (metrics). */
  onFetch?: (ok: boolean) => void;
  /** Told when stale keys are used because a refresh failed (at most once a minute). */
  onStale?: (err: unknown) => void;
  fetchImpl?: typeof fetch;
  now?: () => number;
}

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

/** A key set is never this large; a larger answer is refused rather than parsed. */
const MAX_JWKS_BYTES = 1024 * 1024;
/** A kid longer than this names no key of any real key set: it is refused without fetching. */
const MAX_KID_LENGTH = 512;
/** Unknown kids remembered (to refuse repeats without waiting); forgotten all at once past this many. */
const MAX_REMEMBERED_KIDS = 10_000;

/**
 * The provider's signing keys (its `jwks_uri`), fetched and cached here, looked up by the protected header of a token
 * (jose's getKey). The rules:
 * - a fresh set (younger than maxAge) is used as it is; a stale one is refetched first, and kept if that fails
 *   (the provider down: the keys fetched before still decide);
 * - an unknown kid refetches the set at once when the last fetch is older than the cooldown; within it, the lookup
 *   waits for one fetch at the cooldown's end, shared by every lookup waiting, and is retried once after it. So a
 *   key the provider just started using is picked up within a cooldown, even right after a flood of random kids,
 *   and a flood costs at most one fetch per cooldown whatever its size;
 * - a kid already looked for before the latest fetch started, and absent from it, is refused at once until the next
 *   fetch is due (a replayed token of a removed key does not wait each time); then it may look once more.
 */
export class JwksKeyStore {
  private current?: { lookup: KeyLookup; fetchedAt: number };
  /** Fetches started so far, and when the latest started (0 / -Infinity: none). */
  private fetches = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  private trailing?: Promise<void>;
  private waiters = 0;
  /** Unknown kid -> the number of fetches started when it was first looked for. */
  private readonly unknownKids = new Map<string, number>();
  private staleReportedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /** jose's getKey: the verification key for this protected header; jose's JWKS errors, or JwksUnavailableError. */
  readonly getKey = async (header: JWSHeaderParameters, token?: FlattenedJWSInput): Promise<CryptoKey> => {
    const lookup = await this.freshLookup();
    try {
      return await lookup(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    }
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH))
      throw new errors.JWKSNoMatchingKey();
    await this.refreshForUnknownKid(kid ?? '');
    const key = await this.usableLookup()(header, token);
    this.unknownKids.delete(kid ?? '');
    return key;
  };

  /** The keys last fetched, as a JWKS (undefined before the first fetch). */
  jwks(): JSONWebKeySet | undefined {
    return (this.current?.lookup as unknown as { jwks?: () => JSONWebKeySet } | undefined)?.jwks?.();
  }

  private async freshLookup(): Promise<KeyLookup> {
    const current = this.current;
    if (current && this.now() - current.fetchedAt < this.options.maxAgeMs) return current.lookup;
    try {
      await this.fetchShared();
    } catch (err) {
      if (!current) throw err;
      if (this.now() - this.staleReportedAt >= 60_000) {
        this.staleReportedAt = this.now();
        this.options.onStale?.(err);
      }
    }
    return this.usableLookup();
  }

  private usableLookup(): KeyLookup {
    if (!this.current) throw new JwksUnavailableError('no key set fetched yet');
    return this.current.lookup;
  }

  /**
   * Makes sure a fetch started after this kid was first looked for has completed, waiting for the cooldown's end if
   * need be; within the cooldown, refuses at once a kid that such a fetch already did not bring.
   */
  private async refreshForUnknownKid(kid: string): Promise<void> {
    let firstSeen = this.unknownKids.get(kid);
    if (firstSeen === undefined) {
      if (this.unknownKids.size >= MAX_REMEMBERED_KIDS) this.unknownKids.clear();
      firstSeen = this.fetches;
      this.unknownKids.set(kid, firstSeen);
    }
    const fetchedSince = firstSeen < this.fetches;
    // A fetch started after this kid was first looked for and still running: it decides.
    if (fetchedSince && this.inflight) return this.inflight;
    if (!this.inflight && this.now() - this.lastFetchAt >= this.options.cooldownMs) return this.fetchShared();
    // Such a fetch is done and did not bring the key: no reason to think it exists now, nor to wait.
    if (fetchedSince) throw new errors.JWKSNoMatchingKey();
    if (this.waiters >= (this.options.maxWaiters ?? 1000)) throw new errors.JWKSNoMatchingKey();
    this.waiters++;
    try {
      await this.trailingFetch();
    } finally {
      this.waiters--;
    }
  }

  /** One fetch at the end of the current cooldown, shared by every lookup that waits for it. */
  private trailingFetch(): Promise<void> {
    // Whether to fetch at the end is decided by counting fetches, never by reading the clock again: a timer may fire a
    // millisecond before Date.now() says the cooldown is over (timers run on another clock), and a waiter told "no
    // fetch needed" then would refuse a valid token as having an unknown key, or miss that the provider is down.
    const fetchesBefore = this.fetches;
    this.trailing ??= new Promise<void>((resolve) => {
      const delay = Math.max(0, this.lastFetchAt + this.options.cooldownMs - this.now());
      setTimeout(resolve, delay).unref();
    })
      // A fetch started during the wait (the key set went stale meanwhile) decides for the waiters as well.
      .then(() => (this.fetches === fetchesBefore ? this.fetchShared() : this.inflight))
      .finally(() => {
        this.trailing = undefined;
      });
    return this.trailing;
  }

  private fetchShared(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.fetches++;
    this.lastFetchAt = this.now();
    let lookup: KeyLookup;
    try {
      // As jose's remote key set: no redirect followed, nothing but a 200 taken.
      const res = await this.fetchImpl(this.options.jwksUri, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`the key set answered ${res.status}`);
      if (text.length > MAX_JWKS_BYTES) throw new Error('the key set is larger than 1 MiB');
      lookup = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
    } catch (err) {
      this.options.onFetch?.(false);
      throw new JwksUnavailableError(`the key set ${this.options.jwksUri} could not be fetched`, err);
    }
    this.options.onFetch?.(true);
    this.current = { lookup, fetchedAt: this.now() };
  }
}
