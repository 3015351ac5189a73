import { ByteBoundedMap, stringBytes } from '@app/common';
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
 * extend a token's life. Bounded by count and by bytes (ByteBoundedMap, oldest first out): a flood of 64 KiB tokens
 * holds at most `maxBytes`, not `maxEntries` x 64 KiB; a token larger than the whole byte bound is not cached.
 * Invalid tokens are not cached (no memory for garbage).
 */
export class VerifiedTokenCache {
  private readonly entries: ByteBoundedMap<string, ShareToken>;

  constructor(limits: VerifiedTokenCacheLimits) {
    this.entries = new ByteBoundedMap(limits);
  }

  get(raw: string): ShareToken | undefined {
    return this.entries.get(raw);
  }

  set(raw: string, token: ShareToken): void {
    this.entries.set(raw, token, estimateEntryBytes(raw, token));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The estimated heap bytes held, never over `maxBytes`. */
  get bytes(): number {
    return this.entries.bytes;
  }
}
