import { tokenHash } from '@app/tokens';
import { isHashId, RevokedEntry } from './share-record';

/**
 * The revoked shares, in memory, for the validate path: share ids of tokens created here, and the sha256 of tokens
 * revoked by hash (Python-issued ones). A revocation is never undone, so every update is a union.
 */
export class RevocationSet {
  private readonly ids = new Set<string>();
  private readonly hashes = new Set<string>();
  /** The highest revocation sequence number seen. */
  lastSeq = 0;

  add(entry: Pick<RevokedEntry, 'id' | 'tokenHash'> & { seq?: number }): void {
    if (isHashId(entry.id)) this.hashes.add(entry.tokenHash);
    else this.ids.add(entry.id);
    if (entry.seq !== undefined && entry.seq > this.lastSeq) this.lastSeq = entry.seq;
  }

  addAll(entries: readonly RevokedEntry[]): void {
    for (const e of entries) this.add(e);
  }

  /**
   * O(1). Tokens with a share_id are revoked by id only (ShareAdmin never records a hash row for them), so the token
   * is hashed only when it has no share_id (Python-issued) and some token was revoked by hash.
   */
  has(shareId: string | null, rawToken: string): boolean {
    if (shareId !== null) return this.ids.has(shareId);
    return this.hashes.size > 0 && this.hashes.has(tokenHash(rawToken));
  }

  get size(): number {
    return this.ids.size + this.hashes.size;
  }
}
