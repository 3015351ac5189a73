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
}

/**
 * The share registry as the tokens capability sees it (implemented by the shares module). `isRevoked` is on the
 * validate hot path: it must answer from memory, without I/O.
 */
export interface ShareRegistryHook {
  recordCreated(share: CreatedShare): Promise<void>;
  /** `rawToken` lets the registry match tokens without an id (Python-issued) by their hash. */
  isRevoked(shareId: string | null, rawToken: string): boolean;
}

export const SHARE_REGISTRY = Symbol('SHARE_REGISTRY');
