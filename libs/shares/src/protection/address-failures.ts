import { addressGroup } from '@app/common';

/**
 * Failed unlocks per client address (an IPv6 address counted by its /64: addressGroup), in this process's memory: after `max` failures within `lockMs` the address is
 * locked for `lockMs`, whatever share it tries. Bounded: past `capacity` addresses the stale ones are dropped, then the
 * oldest (a flood of spoofed addresses cannot grow the heap).
 */
export class AddressFailures {
  private readonly entries = new Map<string, { failures: number; since: number; lockedUntil: number }>();

  constructor(
    private readonly max: number,
    private readonly lockMs: number,
    private readonly capacity = 100_000,
  ) {}

  /** The end of the address's lock (epoch ms), or 0 when it is not locked. */
  lockedUntil(address: string | null, now: number): number {
    if (address === null) return 0;
    const e = this.entries.get(addressGroup(address)!);
    return e && e.lockedUntil > now ? e.lockedUntil : 0;
  }

  /** Failures the address may still make before it is locked. */
  left(address: string | null, now: number): number {
    if (address === null) return this.max;
    const e = this.live(addressGroup(address)!, now);
    return e ? Math.max(0, this.max - e.failures) : this.max;
  }

  /** Counts a failure; answers the end of the lock it caused, or 0. */
  fail(address: string | null, now: number): number {
    if (address === null) return 0;
    const key = addressGroup(address)!;
    let e = this.live(key, now);
    if (!e) {
      this.makeRoom(now);
      e = { failures: 0, since: now, lockedUntil: 0 };
      this.entries.set(key, e);
    }
    e.failures++;
    if (e.failures >= this.max) e.lockedUntil = now + this.lockMs;
    return e.lockedUntil > now ? e.lockedUntil : 0;
  }

  /** The address's entry while it counts: failures within lockMs, or a lock not yet over. */
  private live(address: string, now: number) {
    const e = this.entries.get(address);
    if (!e) return undefined;
    if (e.lockedUntil > now || (e.lockedUntil === 0 && now - e.since < this.lockMs)) return e;
    this.entries.delete(address);
    return undefined;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.capacity) return;
    for (const key of [...this.entries.keys()]) this.live(key, now);
    // Still full: the oldest first (a Map iterates in insertion order).
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.capacity) break;
      this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
