import type { ProtectionChange, ProtectionState } from '../share-record';
import type { UnlockLimits } from '../shares.config';
import type { ShareStore } from '../store/share-store';
import { AddressFailures } from './address-failures';
import { newShareCode, sameHash, shareCodeHash, verifySharePassword } from './share-secrets';

export type UnlockFailure = 'wrong-password' | 'wrong-code' | 'code-expired';

export type UnlockResult =
  | { ok: true; protection: ProtectionState }
  | { ok: false; reason: UnlockFailure; attemptsLeft: number }
  | { ok: false; reason: 'locked'; retryAt: Date }
  | { ok: false; reason: 'not-protected' };

export type CodeResult =
  | { ok: true; code: string; emails: string[]; expiresAt: Date }
  | { ok: false; reason: 'rate-limited' | 'locked'; retryAt: Date }
  | { ok: false; reason: 'not-protected' };

const HOUR_MS = 3600_000;

/**
 * Unlocking protected links: passwords, e-mailed codes, and the lockout. What a share counts (its failures, its lock,
 * its pending code and the codes sent this hour) is in the registry, shared by every replica and updated in one
 * transaction each; what a client address counts is in this process's memory (AddressFailures).
 */
export class ShareUnlock {
  private readonly addresses: AddressFailures;

  constructor(
    private readonly store: ShareStore,
    private readonly limits: UnlockLimits,
    private readonly secretKey: string,
  ) {
    this.addresses = new AddressFailures(limits.maxFailuresPerAddress, limits.lockMs);
  }

  getProtection(shareId: string): Promise<ProtectionState | null> {
    return this.store.getProtection(shareId);
  }

  /** The end of the lock on this share or this address, whichever is later, or null. */
  lockedUntil(protection: ProtectionState, address: string | null, now: Date): Date | null {
    const byShare = protection.lockedUntil && protection.lockedUntil > now ? protection.lockedUntil.getTime() : 0;
    const until = Math.max(byShare, this.addresses.lockedUntil(address, now.getTime()));
    return until > 0 ? new Date(until) : null;
  }

  /** Failures left before a lock, by share and by address (the smaller). */
  attemptsLeft(protection: ProtectionState, address: string | null, now: Date): number {
    const expired = protection.lockedUntil !== null && protection.lockedUntil <= now;
    const byShare = this.limits.maxFailures - (expired ? 0 : protection.failures);
    return Math.max(0, Math.min(byShare, this.addresses.left(address, now.getTime())));
  }

  /**
   * One scrypt for every answer that could depend on the password (unknown share, wrong or right password), so that
   * its time says nothing. A share or address already locked is refused at once, even with the right password: that
   * answer says no more than "locked", and a locked link costs a guesser's flood no scrypt.
   */
  async withPassword(
    shareId: string,
    password: string,
    address: string | null,
    now = new Date(),
  ): Promise<UnlockResult> {
    const protection = await this.store.getProtection(shareId);
    if (protection?.kind === 'password') {
      const locked = this.lockedUntil(protection, address, now);
      if (locked) return { ok: false, reason: 'locked', retryAt: locked };
    }
    const matches = await verifySharePassword(
      password,
      protection?.kind === 'password' ? protection.passwordHash : null,
    );
    if (!protection || protection.kind !== 'password') return { ok: false, reason: 'not-protected' };
    return this.settle(shareId, address, now, matches, 'wrong-password');
  }

  /** Checks a code: single use (a right one is cleared), valid until its expiry, wrong ones counted as failures. */
  async withCode(shareId: string, code: string, address: string | null, now = new Date()): Promise<UnlockResult> {
    const submitted = shareCodeHash(this.secretKey, shareId, code);
    const protection = await this.store.getProtection(shareId);
    if (!protection || protection.kind !== 'email-code') return { ok: false, reason: 'not-protected' };
    const pending = protection.codeHash !== null && protection.codeExpiresAt !== null && protection.codeExpiresAt > now;
    if (!pending && !this.lockedUntil(protection, address, now)) {
      // No code to guess: nothing is counted (and nothing can match).
      return { ok: false, reason: 'code-expired', attemptsLeft: this.attemptsLeft(protection, address, now) };
    }
    return this.settle(
      shareId,
      address,
      now,
      (p) => sameHash(p.codeHash, submitted) && p.codeExpiresAt! > now,
      'wrong-code',
    );
  }

  /**
   * Counts the attempt in one transaction on the share's row: success clears the failures (and the code, used once);
   * a failure adds one, and the one that reaches SHARE_UNLOCK_MAX_FAILURES locks the share (and drops its code).
   */
  private async settle(
    shareId: string,
    address: string | null,
    now: Date,
    matches: boolean | ((p: ProtectionState) => boolean),
    failure: UnlockFailure,
  ): Promise<UnlockResult> {
    const addressLock = this.addresses.lockedUntil(address, now.getTime());
    let outcome: UnlockResult = { ok: false, reason: 'not-protected' };
    await this.store.updateProtection(shareId, (p): ProtectionChange | null => {
      const lockOver = p.lockedUntil !== null && p.lockedUntil <= now;
      if ((p.lockedUntil && !lockOver) || addressLock) {
        const until = Math.max(p.lockedUntil && !lockOver ? p.lockedUntil.getTime() : 0, addressLock);
        outcome = { ok: false, reason: 'locked', retryAt: new Date(until) };
        return null;
      }
      if (typeof matches === 'function' ? matches(p) : matches) {
        const cleared: ProtectionChange = { failures: 0, lockedUntil: null, codeHash: null, codeExpiresAt: null };
        outcome = { ok: true, protection: { ...p, ...cleared } };
        return cleared;
      }
      const failures = (lockOver ? 0 : p.failures) + 1;
      const locksShare = failures >= this.limits.maxFailures;
      const addressUntil = this.addresses.fail(address, now.getTime());
      if (locksShare || addressUntil) {
        const until = Math.max(locksShare ? now.getTime() + this.limits.lockMs : 0, addressUntil);
        outcome = { ok: false, reason: 'locked', retryAt: new Date(until) };
      } else {
        const left = Math.min(this.limits.maxFailures - failures, this.addresses.left(address, now.getTime()));
        outcome = { ok: false, reason: failure, attemptsLeft: left };
      }
      return locksShare
        ? { failures, lockedUntil: new Date(now.getTime() + this.limits.lockMs), codeHash: null, codeExpiresAt: null }
        : { failures, lockedUntil: lockOver ? null : p.lockedUntil };
    });
    return outcome;
  }

  /**
   * A new code for the share (replacing any pending one), unless the share or address is locked or the share had
   * SHARE_CODE_REQUESTS_PER_HOUR codes sent within the hour. The caller e-mails it; only its HMAC is stored.
   */
  async issueCode(shareId: string, address: string | null, now = new Date()): Promise<CodeResult> {
    const code = newShareCode();
    const codeHash = shareCodeHash(this.secretKey, shareId, code);
    const addressLock = this.addresses.lockedUntil(address, now.getTime());
    let outcome: CodeResult = { ok: false, reason: 'not-protected' };
    await this.store.updateProtection(shareId, (p): ProtectionChange | null => {
      if (p.kind !== 'email-code') return null;
      const shareLock = p.lockedUntil && p.lockedUntil > now ? p.lockedUntil.getTime() : 0;
      if (shareLock || addressLock) {
        outcome = { ok: false, reason: 'locked', retryAt: new Date(Math.max(shareLock, addressLock)) };
        return null;
      }
      const newWindow = !p.codeWindowStart || now.getTime() - p.codeWindowStart.getTime() >= HOUR_MS;
      const windowStart = newWindow ? now : p.codeWindowStart!;
      const requests = newWindow ? 0 : p.codeRequests;
      if (requests >= this.limits.codeRequestsPerHour) {
        outcome = { ok: false, reason: 'rate-limited', retryAt: new Date(windowStart.getTime() + HOUR_MS) };
        return null;
      }
      const expiresAt = new Date(now.getTime() + this.limits.codeValidityMs);
      outcome = { ok: true, code, emails: p.emails, expiresAt };
      return { codeHash, codeExpiresAt: expiresAt, codeWindowStart: windowStart, codeRequests: requests + 1 };
    });
    return outcome;
  }
}
