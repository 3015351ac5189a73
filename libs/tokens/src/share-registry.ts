import { Resource } from './token-types';
import type { Caller } from '@app/common';

/** What the registry learns about each share token created here. */
export interface CreatedShare {
  /** Random id carried in the token as `share_id` (ignored by the Python service). */
  shareId: string;
  /** sha256 of the token string, hex. */
  tokenHash: string;
  type: string;
  resources: Resource[];
  creator: Caller | null;
  createdAt: Date;
  expiresAt: Date | null;
  /** A protected link: the password (hashed by the registry, never stored or logged as is) or the bound addresses. */
  protection?: ShareProtectionInput;
  /** A child token minted by the share page: its parent's share id. */
  parentShareId?: string;
}

/** How a protected link is opened: a password, or a one-time code e-mailed to one of `emails`. */
export type ShareProtectionInput =
  | { kind: 'password'; password: string }
  /** `language`: the recipients' (their code e-mails'), when given at creation. */
  | { kind: 'email-code'; emails: string[]; language?: string };

/**
 * The share registry as the tokens capability sees it (implemented by the shares module). `isRevoked` is on the
 * validate hot path: it must answer from memory, without I/O.
 */
export interface ShareRegistryHook {
  recordCreated(share: CreatedShare): Promise<void>;
  /** `rawToken` lets the registry match tokens without an id (Python-issued) by their hash. */
  isRevoked(shareId: string | null, rawToken: string): boolean;
  /**
   * Validate granted a child token of a protected share (on the hot path: synchronous, no I/O, never throws). The
   * registry keeps the first grant of each child for the share's access trail.
   */
  childGranted?(parentShareId: string, childShareId: string | null, at: Date): void;
}

export const SHARE_REGISTRY = Symbol('SHARE_REGISTRY');
