import type { Resource } from '@app/tokens';

/** The prefix of the ids of rows that revoke a token by its hash (Python-issued tokens carry no share_id). */
export const HASH_ID_PREFIX = 'hash:';

export interface ShareCreator {
  kind: string;
  name: string;
  userId: string | null;
}

/** One row of the shares table. */
export interface ShareRecord {
  /** The token's share_id, or `hash:<sha256>` for a token revoked by its hash. */
  id: string;
  tokenHash: string;
  type: string;
  resources: Resource[];
  creator: ShareCreator | null;
  /** Unknown (null) for tokens revoked by hash: the Python service recorded nothing. */
  createdAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export type NewShare = Omit<ShareRecord, 'revokedAt' | 'revokedBy'>;

export interface ShareQuery {
  study?: string;
  orthancId?: string;
  type?: string;
  /** Creator's name or user id. */
  creator?: string;
  /** Only the shares of this Keycloak user id (callers who may see their own shares only). */
  ownerUserId?: string;
  active?: boolean;
  limit: number;
  offset: number;
}

export interface SharePage {
  total: number;
  shares: ShareRecord[];
}

/** A revocation as the in-memory set needs it. */
export interface RevokedEntry {
  id: string;
  tokenHash: string;
  seq: number;
}

export function isHashId(id: string): boolean {
  return id.startsWith(HASH_ID_PREFIX);
}
