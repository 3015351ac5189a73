import type { ProtectionState } from '../share-record';
import type { UnlockLimits } from '../shares.config';
import type { UnlockCounter } from '../store/counter-sql';
import type { ShareStore } from '../store/share-store';
import { DerivationGate } from './derivation-gate';
import { newShareCode, sameHash, shareCodeHash, verifySharePassword } from './share-secrets';
import {
  keyList,
  admit,
  admitCode,
  codeKey,
  DAY_MS,
  live,
  lockOf,
  LockScope,
  mailKey,
  normalizeCode,
  knownRow,
  refund,
  unlockKeys,
} from './unlock-rules';

export type UnlockFailure = 'wrong-password' | 'wrong-code' | 'code-expired';

export type UnlockResult =
  | { ok: true }
  | { ok: false; reason: UnlockFailure; attemptsLeft: number }
  /** `tried`: the attempt was checked, was wrong, and was the last one allowed (it caused the lock). */
  | { ok: false; reason: 'locked'; scope: LockScope; retryAt: Date; tried?: UnlockFailure }
  | { ok: false; reason: 'busy'; retryAt: Date }
  | { ok: false; reason: 'not-protected' };

export type CodeResult =
  | { ok: true; code: string; email: string; expiresAt: Date }
  | { ok: false; reason: 'rate-limited'; limit: 'per-link-hour' | 'per-address-day'; retryAt: Date }
  | { ok: false; reason: 'locked'; scope: LockScope; retryAt: Date }
  | { ok: false; reason: 'not-protected' };

/** A caller refused by the full gate tries again after this long. */
const BUSY_RETRY_MS = 2000;
/** Counters are pruned this often; the addresses that opened a link are remembered this long. */
const PRUNE_EVERY_MS = 3_600_000;
const KNOWN_MS = 90 * DAY_MS;

/**
 * Unlocking protected links: passwords, e-mailed codes, and the limits of docs/PROTOCOL.md's threat model (the rules
 * are in unlock-rules.ts). Every count is in the registry (share_unlock_counters), read and written in one
 * transaction per attempt, so worker processes and replicas share them. An attempt is admitted and counted as a
 * failure before any key derivation; the derivations themselves run through a bounded gate.
 */
export class ShareUnlock {
  private readonly gate: DerivationGate;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: ShareStore,
    private readonly limits: UnlockLimits,
    private readonly secretKey: string,
  ) {
    this.gate = new DerivationGate(limits.concurrency, limits.concurrency * 4);
  }

  /** Prunes stale counters every hour (the timer does not keep the process alive). */
  start(): void {
    this.pruneTimer = setInterval(() => void this.prune().catch(() => undefined), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  stop(): void {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
  }

  prune(now = new Date()): Promise<number> {
    return this.store.pruneCounters(new Date(now.getTime() - 2 * DAY_MS), new Date(now.getTime() - KNOWN_MS), now);
  }

  /** The password checks are at capacity and their queue full: a new one would be refused (`busy`). */
  get busy(): boolean {
    return this.gate.full;
  }

  getProtection(shareId: string): Promise<ProtectionState | null> {
    return this.store.getProtection(shareId);
  }

  /** The lock on this address for this link, or null: what the page says before any attempt (a read only). */
  async lockFor(shareId: string, address: string | null, now = new Date()) {
    const keys = unlockKeys(shareId, address);
    return lockOf(await this.store.readCounters(keyList(keys)), keys, this.limits, now);
  }

  /** The recipients with a code pending now. */
  async pendingCodes(protection: ProtectionState, now = new Date()): Promise<string[]> {
    const keys = protection.emails.map((e) => codeKey(protection.shareId, e));
    const counters = await this.store.readCounters(keys);
    return protection.emails.filter((e) => {
      const c = counters.get(codeKey(protection.shareId, e));
      return c?.secret && c.until && c.until > now;
    });
  }

  /** The protection with its counts for the administrators: today's wrong guesses, the daily ceiling's end. */
  async withCounts(protection: ProtectionState, now = new Date()): Promise<ProtectionState> {
    const key = unlockKeys(protection.shareId, null).link;
    const link = live((await this.store.readCounters([key])).get(key), key, DAY_MS, now);
    const closed = link.count >= this.limits.maxGuessesPerDay;
    return {
      ...protection,
      failures: link.count,
      lockedUntil: closed ? new Date(link.windowStart.getTime() + DAY_MS) : null,
    };
  }

  /**
   * Takes a place at the gate (refused with `busy` at once when it is full), admits and counts the attempt (refused
   * at once when locked), derives the key when its turn comes, and gives the attempt back if the password matches.
   */
  async withPassword(
    protection: ProtectionState,
    password: string,
    address: string | null,
    now = new Date(),
  ): Promise<UnlockResult> {
    if (protection.kind !== 'password') return { ok: false, reason: 'not-protected' };
    // The gate first (in memory): a flood beyond its queue is refused without touching the registry.
    const ticket = this.gate.enter();
    if (!ticket) return { ok: false, reason: 'busy', retryAt: new Date(now.getTime() + BUSY_RETRY_MS) };
    const keys = unlockKeys(protection.shareId, address);
    let admission: ReturnType<typeof admit>;
    let matches: boolean;
    try {
      admission = await this.store.updateCounters(keyList(keys), (current) => {
        const a = admit(current, keys, this.limits, now);
        return { write: a.ok ? a.counted : [], result: a };
      });
      if (!admission.ok) return { ok: false, reason: 'locked', scope: admission.scope, retryAt: admission.retryAt };
      await ticket.ready;
      matches = await verifySharePassword(password, protection.passwordHash);
    } finally {
      ticket.leave();
    }
    if (matches) {
      await this.store.updateCounters(keyList(keys), (current) => ({
        write: refund(
          admission.counted.map((c) => current.get(c.key) ?? c),
          keys,
          now,
        ),
        result: 0,
      }));
      return { ok: true };
    }
    return this.failed(admission, 'wrong-password');
  }

  /**
   * A code typed on the page (spaces and dashes ignored), compared with each recipient's pending code (an HMAC each:
   * no derivation), admitted and counted like a password in the same transaction. A right code is used up (that
   * recipient's only); none pending: `code-expired`, nothing counted.
   */
  async withCode(
    protection: ProtectionState,
    typed: string,
    address: string | null,
    now = new Date(),
  ): Promise<UnlockResult> {
    if (protection.kind !== 'email-code') return { ok: false, reason: 'not-protected' };
    const shareId = protection.shareId;
    const keys = unlockKeys(shareId, address);
    const codeKeys = protection.emails.map((e) => codeKey(shareId, e));
    const submitted = shareCodeHash(this.secretKey, shareId, normalizeCode(typed));
    type Outcome =
      | { kind: 'admission'; admission: ReturnType<typeof admit> }
      | { kind: 'expired'; attemptsLeft: number }
      | { kind: 'ok' };
    const outcome = await this.store.updateCounters<Outcome>([...keyList(keys), ...codeKeys], (current) => {
      const admission = admit(current, keys, this.limits, now);
      if (!admission.ok) return { write: [], result: { kind: 'admission', admission } };
      const pending = codeKeys
        .map((k) => current.get(k))
        .filter((c): c is UnlockCounter => Boolean(c?.secret && c.until && c.until > now));
      if (pending.length === 0) {
        return { write: [], result: { kind: 'expired', attemptsLeft: admission.attemptsLeft + 1 } };
      }
      const hit = pending.find((c) => sameHash(c.secret, submitted));
      if (hit) {
        // Nothing was counted: the code is used up, the address's failures on this link cleared (it knows the secret,
        // as after a right password) and the address remembered as one that opened the link.
        const onLink = current.get(keys.linkAddress);
        const cleared = onLink ? [{ ...onLink, count: 0 }] : [];
        return {
          write: [{ ...hit, until: null, secret: null }, ...cleared, knownRow(keys, now)],
          result: { kind: 'ok' },
        };
      }
      // A typed code is compared with every recipient's pending code: n pending codes make one guess n chances, so it
      // counts n guesses on the link's daily ceiling (the per-link bound holds in chances, not in requests).
      const chances = pending.length - 1;
      const counted = admission.counted.map((c) => (c.key === keys.link ? { ...c, count: c.count + chances } : c));
      return { write: counted, result: { kind: 'admission', admission } };
    });
    if (outcome.kind === 'ok') return { ok: true };
    if (outcome.kind === 'expired') return { ok: false, reason: 'code-expired', attemptsLeft: outcome.attemptsLeft };
    const a = outcome.admission;
    if (!a.ok) return { ok: false, reason: 'locked', scope: a.scope, retryAt: a.retryAt };
    return this.failed(a, 'wrong-code');
  }

  /** A counted failure: the attempts left, or the lock it caused (the last attempt allowed was used). */
  private failed(admission: Extract<ReturnType<typeof admit>, { ok: true }>, reason: UnlockFailure): UnlockResult {
    if (admission.attemptsLeft > 0) return { ok: false, reason, attemptsLeft: admission.attemptsLeft };
    const [address, linkAddress] = admission.counted;
    const byAddress = address.count >= this.limits.maxFailuresPerAddress;
    const c = byAddress ? address : linkAddress;
    return {
      ok: false,
      reason: 'locked',
      scope: byAddress ? 'address' : 'link-address',
      retryAt: new Date(c.windowStart.getTime() + this.limits.lockMs),
      tried: reason,
    };
  }

  /**
   * A new code for one recipient (replacing that recipient's pending one only), unless the address is locked or the
   * recipient had too many codes (see admitCode). The caller e-mails it; only its HMAC is stored.
   */
  async issueCode(
    protection: ProtectionState,
    recipient: number,
    address: string | null,
    now = new Date(),
  ): Promise<CodeResult> {
    // The form's recipient index, checked here: out of range is no recipient.
    const email = recipient >= 0 ? protection.emails.at(recipient) : undefined;
    if (protection.kind !== 'email-code' || email === undefined) return { ok: false, reason: 'not-protected' };
    const shareId = protection.shareId;
    const keys = unlockKeys(shareId, address);
    const code = newShareCode();
    const expiresAt = new Date(now.getTime() + this.limits.codeValidityMs);
    const hash = shareCodeHash(this.secretKey, shareId, code);
    const lockKeys = keyList(keys);
    return this.store.updateCounters<CodeResult>([...lockKeys, codeKey(shareId, email), mailKey(email)], (current) => {
      const lock = lockOf(current, keys, this.limits, now);
      // Any lock, the link's daily ceiling included: a code this address could not use is neither sent nor counted.
      if (lock) return { write: [], result: { ok: false, reason: 'locked', ...lock } };
      const a = admitCode(current, shareId, email, this.limits, { hash, expiresAt }, now);
      if (!a.ok)
        return { write: [], result: { ok: false, reason: 'rate-limited', limit: a.limit, retryAt: a.retryAt } };
      return { write: a.write, result: { ok: true, code, email, expiresAt } };
    });
  }
}
