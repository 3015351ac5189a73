import { ShareToken } from '../token-types';

/**
 * A small cache of verified share tokens keyed by the exact token string, so that the plugin's bursts (hundreds of
 * validations of one link) skip the HMAC and the JSON parse. It only remembers that a string is a genuine token and
 * what it says: expiry, revocation and the resource check still run on every request, so a cached entry can never
 * extend a token's life. Bounded (oldest first out); invalid tokens are not cached (no memory for garbage).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, ShareToken>();

  constructor(private readonly capacity = 10_000) {}

  get(raw: string): ShareToken | undefined {
    return this.entries.get(raw);
  }

  set(raw: string, token: ShareToken): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(raw, token);
  }

  get size(): number {
    return this.entries.size;
  }
}
