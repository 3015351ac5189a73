import { toWireResource, WireResource } from '@app/tokens';
import type { ShareRecord } from './share-record';

type ShareStatus = 'active' | 'revoked' | 'expired';

/** A share as the admin API and the CLI show it (kebab-case, like the rest of the wire). */
export interface ShareView {
  id: string;
  status: ShareStatus;
  type: string;
  resources: WireResource[];
  creator: { kind: string; name: string; 'user-id': string | null } | null;
  'created-at': string | null;
  'expires-at': string | null;
  'revoked-at': string | null;
  'revoked-by': string | null;
  'token-hash': string;
  /** A child token of a protected link: its parent share (revoking the parent revokes it). Absent otherwise. */
  'parent-id'?: string;
}

function shareStatus(r: ShareRecord, now: number = Date.now()): ShareStatus {
  if (r.revokedAt || r.parentRevokedAt) return 'revoked';
  if (r.expiresAt && r.expiresAt.getTime() <= now) return 'expired';
  return 'active';
}

export function toShareView(r: ShareRecord, now: number = Date.now()): ShareView {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: r.id,
    status: shareStatus(r, now),
    type: r.type,
    resources: r.resources.map(toWireResource),
    creator: r.creator ? { kind: r.creator.kind, name: r.creator.name, 'user-id': r.creator.userId } : null,
    'created-at': iso(r.createdAt),
    'expires-at': iso(r.expiresAt),
    // A child is revoked with its parent, at the same time (validate checks both ids).
    'revoked-at': iso(r.revokedAt ?? r.parentRevokedAt),
    'revoked-by': r.revokedBy ?? (r.parentRevokedAt ? `with its parent ${r.parentId}` : null),
    'token-hash': r.tokenHash,
    ...(r.parentId ? { 'parent-id': r.parentId } : {}),
  };
}
