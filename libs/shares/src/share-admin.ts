import { ShareTokenCodec, stripBearer, tokenHash } from '@app/tokens';
import { HASH_ID_PREFIX, ShareRecord } from './share-record';
import type { ShareStore } from './store/share-store';

export class TokenNotRecognisedError extends Error {
  constructor() {
    super('token is not a share token signed with SECRET_KEY or one of PREVIOUS_SECRET_KEYS');
  }
}

/**
 * The registry's operations, without Nest: shared by the HTTP API (SharesService) and the command line, so that both
 * write exactly the same rows.
 */
export class ShareAdmin {
  constructor(
    readonly store: ShareStore,
    private readonly codec: ShareTokenCodec,
  ) {}

  /** Idempotent: revoking a revoked share answers it unchanged. Null when the id is unknown. */
  revoke(id: string, by: string): Promise<ShareRecord | null> {
    return this.store.revoke(id, by, new Date());
  }

  /**
   * Revokes any token of this service or of the Python one, by its sha256: the share recorded for it when there is
   * one, otherwise a new row carrying what the token itself says (type, resources, expiry), whose id is the token's
   * share_id when it has one (a token of this service recorded elsewhere) or else `hash:<sha256>` (Python-issued).
   */
  async revokeToken(rawInput: string, by: string): Promise<ShareRecord> {
    const raw = stripBearer(rawInput.trim());
    const verified = this.codec.verify(raw);
    if (!verified.ok) throw new TokenNotRecognisedError();
    const hash = tokenHash(raw);
    const known = await this.store.findByTokenHash(hash);
    if (known) return (await this.store.revoke(known.id, by, new Date()))!;
    const t = verified.token;
    return this.store.insertRevoked(
      {
        id: t.shareId ?? `${HASH_ID_PREFIX}${hash}`,
        tokenHash: hash,
        type: t.type,
        resources: t.resources,
        creator: null,
        createdAt: null,
        expiresAt: t.expiresAt,
      },
      by,
      new Date(),
    );
  }
}
