/** The two bounds of a cache: whichever is reached first makes the oldest entries leave. */
export interface ByteBoundedMapLimits {
  /** How many entries at most (0 disables the cache). */
  maxEntries: number;
  /** How many bytes of heap at most, as the caller estimates each entry (0 disables the cache). */
  maxBytes: number;
}

/** Heap bytes of a string on V8: Latin-1 text one byte per character, anything else two, plus its header. */
export function stringBytes(s: string | null | undefined): number {
  if (s === null || s === undefined) return 0;
  return 16 + (/[\u0100-\uffff]/.test(s) ? 2 * s.length : s.length);
}

/**
 * A map bounded by count and by bytes (oldest first out), for caches whose keys an attacker chooses: a flood of large
 * entries holds at most `maxBytes`, not `maxEntries` times their size; an entry larger than the whole byte bound is
 * not kept. Each entry's size is given by the caller when it is set.
 */
export class ByteBoundedMap<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private total = 0;

  constructor(private readonly limits: ByteBoundedMapLimits) {}

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V, bytes: number): void {
    const { maxEntries, maxBytes } = this.limits;
    if (maxEntries <= 0 || maxBytes <= 0 || bytes > maxBytes) return;
    this.delete(key);
    while (this.entries.size > 0 && (this.entries.size >= maxEntries || this.total + bytes > maxBytes)) {
      this.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, { value, bytes });
    this.total += bytes;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The estimated heap bytes held, never over `maxBytes`. */
  get bytes(): number {
    return this.total;
  }
}
