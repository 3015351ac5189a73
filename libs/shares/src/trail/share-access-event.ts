/**
 * One thing that happened to a protected share, as the share page and validate report it (issue 15): the page was
 * opened, an unlock was tried, a code was e-mailed, a child token was granted for the first time. Recorded by
 * `SharesService.recordAccess`, which never blocks nor throws (see ShareAccessTrail).
 */
export interface ShareAccessEvent {
  /** The protected (parent) share's id. */
  shareId: string;
  kind: 'page-open' | 'unlock' | 'code-sent' | 'child-grant';
  outcome: 'ok' | 'failed' | 'locked' | 'revoked' | 'expired';
  /** E.g. 'wrong-password', 'wrong-code', 'code-expired', 'rate-limited'. */
  reason?: string;
  /** For 'child-grant': the child token's share id (the trail keeps only the first grant). */
  childId?: string;
  clientAddress: string | null;
  userAgent: string | null;
  at: Date;
}

export type ShareAccessKind = ShareAccessEvent['kind'];
export type ShareAccessOutcome = ShareAccessEvent['outcome'];

export const SHARE_ACCESS_KINDS: readonly ShareAccessKind[] = ['page-open', 'unlock', 'code-sent', 'child-grant'];
export const SHARE_ACCESS_OUTCOMES: readonly ShareAccessOutcome[] = ['ok', 'failed', 'locked', 'revoked', 'expired'];
