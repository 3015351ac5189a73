/**
 * ShareUnlock (share-unlock.ts) by `new`, on an in-memory registry of one protection row each: what an unlock attempt
 * answers, what it counts and when it locks, by the class's public behaviour only. (share-unlock.spec.ts covers the
 * secrets and the per-address counter it uses.)
 */
import type { ProtectionChange, ProtectionState } from '../share-record';
import type { UnlockLimits } from '../shares.config';
import type { ShareStore } from '../store/share-store';
import { hashSharePassword } from './share-secrets';
import { ShareUnlock } from './share-unlock';

const LIMITS: UnlockLimits = {
  maxFailures: 3,
  maxFailuresPerAddress: 5,
  lockMs: 60_000,
  codeRequestsPerHour: 2,
  codeValidityMs: 600_000,
  trustedProxies: [],
};
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** The registry's protection rows, as ShareUnlock reads and updates them (one transaction = one callback). */
function registry(rows: ProtectionState[]) {
  const byId = new Map(rows.map((r) => [r.shareId, r]));
  const store = {
    getProtection: async (id: string) => (byId.has(id) ? { ...byId.get(id)! } : null),
    updateProtection: async (id: string, change: (p: ProtectionState) => ProtectionChange | null) => {
      const row = byId.get(id);
      const update = row ? change({ ...row }) : null;
      if (row && update) byId.set(id, { ...row, ...update });
    },
  };
  return { store: store as unknown as ShareStore, row: (id: string) => byId.get(id)! };
}

const row = (shareId: string, over: Partial<ProtectionState>): ProtectionState => ({
  shareId,
  kind: 'password',
  passwordHash: null,
  emails: [],
  failures: 0,
  lockedUntil: null,
  codeHash: null,
  codeExpiresAt: null,
  codeWindowStart: null,
  codeRequests: 0,
  ...over,
});

describe('ShareUnlock', () => {
  let passwordHash: string;
  beforeAll(async () => {
    passwordHash = await hashSharePassword('the right one', { N: 2 ** 10, r: 8, p: 1 });
  });

  it('a right password opens and clears the failures; wrong ones count down, the last one locks for lockMs', async () => {
    const { store, row: stored } = registry([row('s1', { passwordHash })]);
    const unlock = new ShareUnlock(store, LIMITS, 'key');
    expect(await unlock.withPassword('s1', 'wrong', '10.0.0.1', at(0))).toEqual({
      ok: false,
      reason: 'wrong-password',
      attemptsLeft: 2,
    });
    expect(await unlock.withPassword('s1', 'the right one', '10.0.0.1', at(1))).toMatchObject({ ok: true });
    expect(stored('s1').failures).toBe(0);

    for (const [i, left] of [2, 1].entries())
      expect(await unlock.withPassword('s1', 'wrong', '10.0.0.2', at(10 + i))).toMatchObject({ attemptsLeft: left });
    expect(await unlock.withPassword('s1', 'wrong', '10.0.0.2', at(20))).toEqual({
      ok: false,
      reason: 'locked',
      retryAt: at(20 + LIMITS.lockMs),
    });
    // Locked: even the right password is refused, until the lock ends.
    expect(await unlock.withPassword('s1', 'the right one', '10.0.0.3', at(30))).toMatchObject({ reason: 'locked' });
    expect(await unlock.withPassword('s1', 'the right one', '10.0.0.3', at(20 + LIMITS.lockMs))).toMatchObject({
      ok: true,
    });
  });

  it('an address that fails on several links is locked on every link, and a link that is not protected says so', async () => {
    const { store } = registry(['a', 'b', 'c'].map((id) => row(id, { passwordHash })));
    const unlock = new ShareUnlock(store, { ...LIMITS, maxFailures: 10 }, 'key');
    for (const [i, id] of ['a', 'b', 'c', 'a'].entries()) await unlock.withPassword(id, 'wrong', '10.0.0.9', at(i));
    expect(await unlock.withPassword('b', 'wrong', '10.0.0.9', at(10))).toMatchObject({ reason: 'locked' });
    expect(await unlock.withPassword('c', 'the right one', '10.0.0.9', at(11))).toMatchObject({ reason: 'locked' });
    expect(await unlock.withPassword('c', 'the right one', '10.0.0.8', at(12))).toMatchObject({ ok: true });
    expect(await unlock.withPassword('nope', 'anything', '10.0.0.8', at(13))).toEqual({
      ok: false,
      reason: 'not-protected',
    });
  });

  it('e-mailed codes: issued within the hourly quota, single use, refused once expired', async () => {
    const { store } = registry([row('m1', { kind: 'email-code', emails: ['someone@example.org'] })]);
    const unlock = new ShareUnlock(store, LIMITS, 'key');
    expect(await unlock.withCode('m1', '123456', null, at(0))).toMatchObject({ reason: 'code-expired' });

    const first = await unlock.issueCode('m1', null, at(0));
    if (!first.ok) throw new Error('no code issued');
    expect(first).toMatchObject({ emails: ['someone@example.org'], expiresAt: at(LIMITS.codeValidityMs) });
    const second = await unlock.issueCode('m1', null, at(1));
    if (!second.ok) throw new Error('no second code issued');
    expect(await unlock.issueCode('m1', null, at(2))).toEqual({
      ok: false,
      reason: 'rate-limited',
      retryAt: at(3600_000),
    });

    // The newest code replaced the first; it opens once.
    expect(await unlock.withCode('m1', first.code === second.code ? '000000' : first.code, null, at(3))).toMatchObject({
      ok: false,
      reason: 'wrong-code',
    });
    expect(await unlock.withCode('m1', second.code, null, at(4))).toMatchObject({ ok: true });
    expect(await unlock.withCode('m1', second.code, null, at(5))).toMatchObject({ reason: 'code-expired' });

    const late = await unlock.issueCode('m1', null, at(3600_000));
    if (!late.ok) throw new Error('no code issued in the next hour');
    expect(await unlock.withCode('m1', late.code, null, at(3600_000 + LIMITS.codeValidityMs))).toMatchObject({
      reason: 'code-expired',
    });
  });
});
