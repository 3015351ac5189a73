/** One event of a protected share's access trail (recorded by SharesService.recordAccess). */
export interface ShareAccessEvent {
  shareId: string; // the protected (parent) share's id
  kind: 'page-open' | 'unlock' | 'code-sent' | 'child-grant';
  outcome: 'ok' | 'failed' | 'locked' | 'revoked' | 'expired';
  reason?: string; // e.g. 'wrong-password', 'wrong-code', 'code-expired', 'rate-limited'
  childId?: string; // for 'child-grant': the child token's share id (the trail keeps only the first grant)
  clientAddress: string | null;
  userAgent: string | null;
  at: Date;
}
