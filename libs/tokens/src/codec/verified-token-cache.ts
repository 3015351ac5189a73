import { ShareToken } from '../token-types';

/** The two bounds of the cache: whichever is reached first makes the oldest entries leave. */
export interface VerifiedTokenCacheLimits {
  /** How many tokens at most (0 disables the cache). */
  maxEntries: number;
  /** How many bytes of heap at most, as estimated by {@link estimateEntryBytes} (0 disables the cache). */
  maxBytes: number;
}

// Fixed costs of an entry on V8's heap, measured (verified-token-cache.spec.ts compares the estimate with the heap):
// the Map slot, the ShareToken object and its Date, the array of resources; then each resource object.
const ENTRY_OVERHEAD = 400;
const RESOURCE_OVERHEAD = 96;
const STRING_HEADER = 16;
const TWO_BYTE = /[\u0100-\uffff]/;

/** Heap bytes of a string: V8 stores Latin-1 text one byte per character, anything else two. */
function stringBytes(s: string | null): number {
  if (s === null) return 0;
  return STRING_HEADER + (TWO_BYTE.test(s) ? 2 * s.length : s.length);
}

/** What one cached token costs: its exact string (the key) and everything the decoded token holds. */
export function estimateEntryBytes(raw: string, token: ShareToken): number {
  let bytes = ENTRY_OVERHEAD + stringBytes(raw) + stringBytes(token.id) + stringBytes(token.shareId);
  bytes += stringBytes(token.type) + stringBytes(token.expirationDate);
  for (const r of token.resources) {
    bytes += RESOURCE_OVERHEAD + stringBytes(r.dicomUid) + stringBytes(r.orthancId) + stringBytes(r.url);
  }
  return bytes;
}

/**
 * A small cache of verified share tokens keyed by the exact token string, so that the plugin's bursts (hundreds of
 * validations of one link) skip the HMAC and the JSON parse. It only remembers that a string is a genuine token and
 * what it says: expiry, revocation and the resource check still run on every request, so a cached entry can never
 * extend a token's life. Bounded by count and by bytes (oldest first out): a flood of 64 KiB tokens holds at most
 * `maxBytes`, not `maxEntries` x 64 KiB; a token larger than the whole byte bound is not cached. Invalid tokens are
 * not cached (no memory for garbage).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { token: ShareToken; bytes: number }>();
  private total = 0;

  constructor(private readonly limits: VerifiedTokenCacheLimits) {}

  get(raw: string): ShareToken | undefined {
    return this.entries.get(raw)?.token;
  }

  set(raw: string, token: ShareToken): void {
    const { maxEntries, maxBytes } = this.limits;
    if (maxEntries <= 0 || maxBytes <= 0) return;
    const bytes = estimateEntryBytes(raw, token);
    if (bytes > maxBytes) return;
    this.delete(raw);
    while (this.entries.size > 0 && (this.entries.size >= maxEntries || this.total + bytes > maxBytes)) {
      this.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(raw, { token, bytes });
    this.total += bytes;
  }

  private delete(raw: string): void {
    const entry = this.entries.get(raw);
    if (!entry) return;
    this.entries.delete(raw);
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
