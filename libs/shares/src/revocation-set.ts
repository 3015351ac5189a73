import { tokenHash } from '@app/tokens';
import { isHashId, RevokedEntry } from './share-record';

/**
 * How long after a share's expiry its revocation is still kept in memory. An expired link is refused for its expiry
 * (the same clock decides both), so the entry is dead weight from then on; the margin only spares a borderline call.
 */
const EXPIRED_REVOCATION_GRACE_MS = 60_000;

export type RevocationInput = Pick<RevokedEntry, 'id' | 'tokenHash'> & { seq?: number; expiresAt?: number | null };

/**
 * The revoked shares, in memory, for the validate path: share ids of tokens created here, and the sha256 of tokens
 * revoked by hash (Python-issued ones). A revocation is never undone; the only entries dropped are those of expired
 * shares (`prune`), which validate refuses anyway, so that memory follows the live revocations, not all of history.
 */
export class RevocationSet {
  private readonly ids = new Set<string>();
  private readonly hashes = new Set<string>();
  private readonly expiries = new ExpiryHeap();
  /** The highest revocation sequence number seen. */
  lastSeq = 0;

  add(entry: RevocationInput): void {
    const byHash = isHashId(entry.id);
    const set = byHash ? this.hashes : this.ids;
    const key = byHash ? entry.tokenHash : entry.id;
    if (!set.has(key)) {
      set.add(key);
      // An entry first learnt without its expiry stays until restart: the safe side.
      if (entry.expiresAt !== undefined && entry.expiresAt !== null) this.expiries.push(entry.expiresAt, key, byHash);
    }
    if (entry.seq !== undefined && entry.seq > this.lastSeq) this.lastSeq = entry.seq;
  }

  addAll(entries: readonly RevocationInput[]): void {
    for (const e of entries) this.add(e);
  }

  /** Every revocation up to `seq` has been read (the next read starts after it). */
  advance(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  /** Drops the entries of shares expired more than EXPIRED_REVOCATION_GRACE_MS before `now`; answers how many. */
  prune(now: number): number {
    let dropped = 0;
    for (;;) {
      const top = this.expiries.peek();
      if (!top || top.at > now - EXPIRED_REVOCATION_GRACE_MS) return dropped;
      this.expiries.pop();
      if ((top.byHash ? this.hashes : this.ids).delete(top.key)) dropped++;
    }
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

/** A binary min-heap of expiry times: the next entry to drop is always on top (push and pop in O(log n)). */
class ExpiryHeap {
  private readonly at: number[] = [];
  private readonly keys: string[] = [];
  private readonly byHash: boolean[] = [];

  push(at: number, key: string, byHash: boolean): void {
    this.at.push(at);
    this.keys.push(key);
    this.byHash.push(byHash);
    let i = this.at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.at[parent] <= this.at[i]) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  peek(): { at: number; key: string; byHash: boolean } | null {
    return this.at.length ? { at: this.at[0], key: this.keys[0], byHash: this.byHash[0] } : null;
  }

  pop(): void {
    const last = this.at.length - 1;
    this.swap(0, last);
    this.at.pop();
    this.keys.pop();
    this.byHash.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < this.at.length && this.at[l] < this.at[min]) min = l;
      if (r < this.at.length && this.at[r] < this.at[min]) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(a: number, b: number): void {
    [this.at[a], this.at[b]] = [this.at[b], this.at[a]];
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.byHash[a], this.byHash[b]] = [this.byHash[b], this.byHash[a]];
  }
}
