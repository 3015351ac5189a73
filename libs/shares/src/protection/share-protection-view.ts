import type { ProtectionState } from '../share-record';

/** How a protected link opens, as `GET /shares/{id}` and `shares show` give it: never its hash, code or addresses. */
export interface ShareProtectionView {
  kind: 'password' | 'email-code';
  /** For email-code: how many addresses a code may be sent to (the addresses are personal data: not shown). */
  'bound-addresses': number;
  /** Failed unlocks since the last success or the end of the last lock. */
  failures: number;
  'locked-until': string | null;
}

/** The protection of a share for its administrators, or null for an ordinary link. */
export function toProtectionView(p: ProtectionState | null, now = new Date()): ShareProtectionView | null {
  if (!p) return null;
  const locked = p.lockedUntil && p.lockedUntil > now ? p.lockedUntil.toISOString() : null;
  return { kind: p.kind, 'bound-addresses': p.emails.length, failures: p.failures, 'locked-until': locked };
}
