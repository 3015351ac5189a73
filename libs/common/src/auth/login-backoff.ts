import { addressGroup, ClientAddress } from '../http/client-address';

/** Failures from one address (group) answered at once before the answers are spaced out. */
const FREE_FAILURES = 10;
/** The first spacing once past them; it doubles with each further failure, up to the maximum. */
const FIRST_DELAY_MS = 50;
/** An address's failures are forgotten after this long without one. */
const QUIET_MS = 10 * 60_000;
/** Addresses remembered at most (a flood of addresses cannot grow the heap): past it, the oldest are dropped. */
const CAPACITY = 100_000;
/** Failed logins held waiting at most, all addresses together: past it they are answered at once. */
const MAX_WAITING = 10_000;

interface Entry {
  failures: number;
  /** When the next failure of this address may be answered (epoch ms). */
  nextAt: number;
  lastAt: number;
}

/**
 * Backoff of failed Basic logins, per client address (an IPv6 address by its /64: addressGroup), in this process's
 * memory. The right password is never held back: the credential is checked first, as before (one HMAC), and a valid
 * one is answered at once, from any address, during any attack. Only a failure waits: past FREE_FAILURES failures of
 * an address, their 401s are answered one at a time, spaced by a delay that doubles from FIRST_DELAY_MS up to
 * BASIC_FAILURE_MAX_DELAY_MS. A client sending wrong passwords gets its answers at that pace, whatever its
 * concurrency: a connection waiting for a 401 sends no other guess, so its guesses are checked at that pace too (the
 * first burst of concurrent requests excepted). A failed login is answered after at most QUIET_MS of spacing
 * accumulated; past MAX_WAITING held answers (a distributed flood), failures are answered at once.
 */
export class LoginBackoff {
  private readonly entries = new Map<string, Entry>();
  private waiting = 0;

  constructor(
    private readonly maxDelayMs: number,
    private readonly clients: ClientAddress,
  ) {}

  /**
   * A Basic login from this request failed: resolves when its 401 may be sent. `peer` is the socket's address,
   * `forwardedFor` the X-Forwarded-For header (believed from the trusted proxies only).
   */
  async failed(peer: string | undefined, forwardedFor: string | string[] | undefined): Promise<void> {
    const wait = this.delayFor(addressGroup(this.clients.of(peer, forwardedFor)), Date.now());
    if (wait <= 0) return;
    this.waiting++;
    try {
      await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
    } finally {
      this.waiting--;
    }
  }

  /** Counts a failure of this address and answers how long its 401 waits (ms). */
  delayFor(key: string | null, now: number): number {
    if (this.maxDelayMs <= 0 || key === null) return 0;
    let e = this.entries.get(key);
    if (e && now - e.lastAt > QUIET_MS) {
      this.entries.delete(key);
      e = undefined;
    }
    if (e) {
      // Moved to the end: the map stays in order of last failure, so the oldest is always the first key.
      this.entries.delete(key);
    } else {
      this.makeRoom();
      e = { failures: 0, nextAt: now, lastAt: now };
    }
    this.entries.set(key, e);
    e.failures++;
    e.lastAt = now;
    if (e.failures <= FREE_FAILURES || this.waiting >= MAX_WAITING) return 0;
    const step = Math.min(this.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(30, e.failures - FREE_FAILURES - 1));
    const at = Math.min(Math.max(now, e.nextAt) + step, now + QUIET_MS);
    e.nextAt = at;
    return at - now;
  }

  /**
   * Full: the address whose last failure is the oldest goes (the first key, see delayFor), in constant time. A scan
   * of the whole map on each new address made a flood of fresh /64s cost milliseconds per failure once full.
   */
  private makeRoom(): void {
    while (this.entries.size >= CAPACITY) {
      const oldest = this.entries.keys().next();
      if (oldest.done) return;
      this.entries.delete(oldest.value);
    }
  }

  /** Addresses remembered (for tests and the bound). */
  get size(): number {
    return this.entries.size;
  }
}
