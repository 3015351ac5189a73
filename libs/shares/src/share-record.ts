import type { Resource } from '@app/tokens';

/** The prefix of the ids of rows that revoke a token by its hash (Python-issued tokens carry no share_id). */
export const HASH_ID_PREFIX = 'hash:';

interface ShareCreator {
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
  /** A child token of a protected link (minted by the share page): its parent's id, and when the parent was revoked. */
  parentId: string | null;
  parentRevokedAt: Date | null;
}

export type NewShare = Omit<ShareRecord, 'revokedAt' | 'revokedBy' | 'parentId' | 'parentRevokedAt'> & {
  /** A protected link: how it is opened (the password already hashed). */
  protection?: StoredProtection;
  /** A child token of a protected link: its parent's share id. */
  parentId?: string;
};

/** How a protected link is opened, as stored: never the password itself. */
export interface StoredProtection {
  kind: 'password' | 'email-code';
  /** `scrypt$N$r$p$salt$hash` (see share-secrets.ts), for kind password. */
  passwordHash: string | null;
  /** The addresses a code may be sent to, for kind email-code. */
  emails: string[];
  /** The recipients' language (their code e-mails'), when given at creation; null: the site's default. */
  language?: string | null;
}

/** A protected link's row: how it opens, its unlock failures and lock, its current one-time code. */
export interface ProtectionState extends StoredProtection {
  shareId: string;
  /** Failed unlocks since the last success or the end of the last lock. */
  failures: number;
  lockedUntil: Date | null;
  /** HMAC of the current code (hex), null when none is pending. */
  codeHash: string | null;
  codeExpiresAt: Date | null;
  /** The start of the hour in which `codeRequests` codes were sent. */
  codeWindowStart: Date | null;
  codeRequests: number;
}

export type ProtectionChange = Partial<
  Pick<ProtectionState, 'failures' | 'lockedUntil' | 'codeHash' | 'codeExpiresAt' | 'codeWindowStart' | 'codeRequests'>
>;

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
  /** Keyset paging: only shares listed after this position (a page's `next`); absent, from the newest. */
  before?: number;
  /** Also count the matching shares (bounded: see SharePage.total). */
  count?: boolean;
}

export interface SharePage {
  shares: ShareRecord[];
  /**
   * Where the next page starts (the `before` of the next query), or null when nothing is left. A page may hold fewer
   * than `limit` shares, even none, and still have a next position: each page examines a bounded number of shares.
   */
  next: number | null;
  /** With `count`: the matching shares, exact when `exact`, otherwise a lower bound (counting is bounded too). */
  total?: { count: number; exact: boolean };
}

/** A revocation as the in-memory set needs it. */
export interface RevokedEntry {
  id: string;
  /** The token's sha256 (hex) where the set needs it: for `hash:` ids; may be '' for the others. */
  tokenHash: string;
  seq: number;
  /** The share's expiry (epoch ms), after which the entry is dropped from memory; null: never expires. */
  expiresAt: number | null;
}

export function isHashId(id: string): boolean {
  return id.startsWith(HASH_ID_PREFIX);
}

/**
 * Why this service cannot revoke a share, or null when it can. A meddream-instant-link carries MedDream's own token,
 * which the MedDream viewer checks with its token service, never with this service: it is recorded (who shared which
 * studies, when) but marking it revoked here would stop nothing.
 */
export function notRevocableReason(share: Pick<ShareRecord, 'id' | 'type'>): string | null {
  if (share.type !== 'meddream-instant-link') return null;
  return (
    `the share "${share.id}" is a meddream-instant-link: MedDream checks its own tokens with its token service, not ` +
    'with this service, so it cannot be revoked here (it lasts as long as the MedDream token service lets its tokens live)'
  );
}
