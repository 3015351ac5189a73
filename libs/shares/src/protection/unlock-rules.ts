import { addressGroup } from '@app/common';
import type { UnlockCounter } from '../store/counter-sql';
import type { UnlockLimits } from '../shares.config';

/**
 * The rules that decide whether an unlock attempt of a protected link may be tried, as pure functions over the
 * registry's counters (docs/PROTOCOL.md section 17, "Threat model"). Every count is a row of share_unlock_counters:
 *
 * - `a:<address>`: failures from a client address on any link, per SHARE_UNLOCK_LOCK_MINUTES window;
 * - `la:<link>|<address>`: failures from the address on the link, same window;
 * - `ld:<link>|<address>`: failures from the address on the link, per day;
 * - `l:<link>`: wrong guesses on the link, per day;
 * - `k:<link>|<address>`: the address opened the link (it knew the secret): the link's daily ceilings spare it;
 * - `c:<link>|<recipient>`: the recipient's pending code (HMAC, expiry) and the codes asked for it this hour;
 * - `m:<recipient>`: the codes e-mailed to that address today, whatever the link.
 */
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Why an attempt is refused before anything is derived or compared. */
export type LockScope = 'address' | 'link-address' | 'link-ceiling';

export interface UnlockKeys {
  address: string;
  linkAddress: string;
  linkAddressDay: string;
  link: string;
  known: string;
}

/**
 * The key of a client address: an IPv6 address by its /64 (one subscriber gets a whole /64 and could use a fresh
 * address for every try), an IPv4 address as it is; a request without one (no socket address) counts under one
 * shared name.
 */
function addressKey(address: string | null): string {
  return addressGroup(address) ?? 'unknown';
}

export function unlockKeys(shareId: string, address: string | null): UnlockKeys {
  const a = addressKey(address);
  return {
    address: `a:${a}`,
    linkAddress: `la:${shareId}|${a}`,
    linkAddressDay: `ld:${shareId}|${a}`,
    link: `l:${shareId}`,
    known: `k:${shareId}|${a}`,
  };
}

/** Every counter key of an attempt, in one list (the rows one transaction reads and writes). */
export function keyList(keys: UnlockKeys): string[] {
  return [keys.address, keys.linkAddress, keys.linkAddressDay, keys.link, keys.known];
}

export const codeKey = (shareId: string, email: string): string => `c:${shareId}|${email.toLowerCase()}`;
export const mailKey = (email: string): string => `m:${email.toLowerCase()}`;

/** The counter within its window at `now`, or a new one starting now (count 0) once the window is over. */
export function live(c: UnlockCounter | undefined, key: string, windowMs: number, now: Date): UnlockCounter {
  if (c && now.getTime() - c.windowStart.getTime() < windowMs) return c;
  return { key, windowStart: now, count: 0, until: c?.until ?? null, secret: c?.secret ?? null };
}

const end = (c: UnlockCounter, windowMs: number) => new Date(c.windowStart.getTime() + windowMs);

export type Admission =
  { ok: true; counted: UnlockCounter[]; attemptsLeft: number } | { ok: false; scope: LockScope; retryAt: Date };

/**
 * May this address try a secret on this link now? In this order:
 * 1. an address with SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS failures within the lock window tries nothing;
 * 2. an address with SHARE_UNLOCK_MAX_FAILURES failures on this link within the window does not try this link;
 * 3. unless the address has opened the link before: once the link had SHARE_UNLOCK_GUESSES_PER_DAY wrong guesses
 *    today, only addresses with no failure on it today may try (one guess each), and once it had
 *    SHARE_UNLOCK_MAX_GUESSES_PER_DAY, nobody new may.
 * When it may, the attempt is counted as a failure at once (`counted`, to write before any key derivation), and
 * `refund` gives it back if it succeeds: parallel attempts can never exceed a limit.
 */
export function admit(
  current: Map<string, UnlockCounter>,
  keys: UnlockKeys,
  limits: UnlockLimits,
  now: Date,
): Admission {
  const address = live(current.get(keys.address), keys.address, limits.lockMs, now);
  const linkAddress = live(current.get(keys.linkAddress), keys.linkAddress, limits.lockMs, now);
  const linkAddressDay = live(current.get(keys.linkAddressDay), keys.linkAddressDay, DAY_MS, now);
  const link = live(current.get(keys.link), keys.link, DAY_MS, now);
  if (address.count >= limits.maxFailuresPerAddress)
    return { ok: false, scope: 'address', retryAt: end(address, limits.lockMs) };
  if (linkAddress.count >= limits.maxFailures)
    return { ok: false, scope: 'link-address', retryAt: end(linkAddress, limits.lockMs) };
  if (!current.has(keys.known)) {
    const closed =
      link.count >= limits.maxGuessesPerDay || (link.count >= limits.guessesPerDay && linkAddressDay.count > 0);
    if (closed) return { ok: false, scope: 'link-ceiling', retryAt: end(link, DAY_MS) };
  }
  const counted = [address, linkAddress, linkAddressDay, link].map((c) => ({ ...c, count: c.count + 1 }));
  const attemptsLeft = Math.min(limits.maxFailures - counted[1].count, limits.maxFailuresPerAddress - counted[0].count);
  return { ok: true, counted, attemptsLeft };
}

/**
 * A success gives back the failure `admit` counted, clears the address's failures on this link (it knows the
 * secret), and remembers that the address opened the link. `counted` as read again in the success's transaction.
 */
export function refund(counted: UnlockCounter[], keys: UnlockKeys, now: Date): UnlockCounter[] {
  return [...uncount(counted).map((c) => (c.key === keys.linkAddress ? { ...c, count: 0 } : c)), knownRow(keys, now)];
}

/** The address opened the link (it knew the secret): remembered, so that the link's daily ceilings spare it. */
export function knownRow(keys: UnlockKeys, now: Date): UnlockCounter {
  return { key: keys.known, windowStart: now, count: 1, until: null, secret: null };
}

/** Gives back what `admit` counted. */
function uncount(counted: UnlockCounter[]): UnlockCounter[] {
  return counted.map((c) => ({ ...c, count: Math.max(0, c.count - 1) }));
}

/** The lock the counters put on this address for this link, or null (the page reads it, writes nothing). */
export function lockOf(
  current: Map<string, UnlockCounter>,
  keys: UnlockKeys,
  limits: UnlockLimits,
  now: Date,
): { scope: LockScope; retryAt: Date } | null {
  const a = admit(current, keys, limits, now);
  return a.ok ? null : { scope: a.scope, retryAt: a.retryAt };
}

export type CodeAdmission =
  { ok: true; write: UnlockCounter[] } | { ok: false; retryAt: Date; limit: 'per-link-hour' | 'per-address-day' };

/**
 * May a new code be e-mailed to this recipient? At most SHARE_CODE_REQUESTS_PER_HOUR per link and recipient, and
 * SHARE_CODE_EMAILS_PER_DAY per recipient address whatever the links. A new code replaces this recipient's pending
 * one only: the other recipients' codes stay valid.
 */
export function admitCode(
  current: Map<string, UnlockCounter>,
  shareId: string,
  email: string,
  limits: UnlockLimits,
  code: { hash: string; expiresAt: Date },
  now: Date,
): CodeAdmission {
  const c = live(current.get(codeKey(shareId, email)), codeKey(shareId, email), HOUR_MS, now);
  const m = live(current.get(mailKey(email)), mailKey(email), DAY_MS, now);
  if (c.count >= limits.codeRequestsPerHour) return { ok: false, retryAt: end(c, HOUR_MS), limit: 'per-link-hour' };
  if (m.count >= limits.codeEmailsPerDay) return { ok: false, retryAt: end(m, DAY_MS), limit: 'per-address-day' };
  return {
    ok: true,
    write: [
      { ...c, count: c.count + 1, until: code.expiresAt, secret: code.hash },
      { ...m, count: m.count + 1 },
    ],
  };
}

/** A code typed as the e-mail shows it or with spaces, dashes or dots between its digits. */
export function normalizeCode(typed: string): string {
  return typed.replace(/[\s\-.\u2010-\u2015]/g, '');
}
