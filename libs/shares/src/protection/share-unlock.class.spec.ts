import type { ProtectionState } from '../share-record';
import { loadUnlockLimits, type UnlockLimits } from '../shares.config';
import type { UnlockCounter } from '../store/counter-sql';
import type { ShareStore } from '../store/share-store';
import * as secrets from './share-secrets';
import { ShareUnlock } from './share-unlock';

// The real secrets, observed: the scrypt check (to prove it is not run) and the code drawn (to know it).
jest.mock('./share-secrets', () => {
  const actual = jest.requireActual<typeof secrets>('./share-secrets');
  return { ...actual, verifySharePassword: jest.fn(actual.verifySharePassword), newShareCode: jest.fn() };
});
const real = jest.requireActual<typeof secrets>('./share-secrets');
const verify = jest.mocked(secrets.verifySharePassword);
const drawCode = jest.mocked(secrets.newShareCode);

/**
 * share_unlock_counters in memory, for the two methods ShareUnlock's attempts call: one `updateCounters` is one
 * transaction (the rows named read, `decide` called once, its rows upserted whole), and rows go in and out as copies,
 * as the SQL stores round-trip them. getProtection and pruneCounters are pass-throughs, not exercised here.
 */
class MemoryCounters implements Pick<ShareStore, 'readCounters' | 'updateCounters'> {
  readonly rows = new Map<string, UnlockCounter>();
  transactions = 0;

  readCounters(keys: string[]): Promise<Map<string, UnlockCounter>> {
    return Promise.resolve(this.read(keys));
  }

  updateCounters<T>(
    keys: string[],
    decide: (current: Map<string, UnlockCounter>) => { write: UnlockCounter[]; result: T },
  ): Promise<T> {
    return new Promise((resolve) => {
      this.transactions++;
      const { write, result } = decide(this.read(keys));
      for (const c of write) this.rows.set(c.key, copy(c));
      resolve(result);
    });
  }

  private read(keys: string[]): Map<string, UnlockCounter> {
    const found = keys.flatMap((k) => (this.rows.has(k) ? [copy(this.rows.get(k)!)] : []));
    return new Map(found.map((c) => [c.key, c]));
  }
}
const copy = (c: UnlockCounter): UnlockCounter => ({
  ...c,
  windowStart: new Date(c.windowStart),
  until: c.until && new Date(c.until),
});

const limits: UnlockLimits = {
  ...loadUnlockLimits({}),
  maxFailures: 3,
  maxFailuresPerAddress: 5,
  guessesPerDay: 4,
  maxGuessesPerDay: 6,
  codeRequestsPerHour: 3,
  concurrency: 1, // one scrypt at a time, 4 waiting
};
const t0 = new Date('2026-12-07T12:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const ip = (i: number) => `198.51.100.${i}`;
const [A, B] = [ip(1), ip(2)];

let passwordHash: string;
let registry: MemoryCounters;
let unlock: ShareUnlock;
const protection = (kind: 'password' | 'email-code', shareId = 's1'): ProtectionState => ({
  kind,
  shareId,
  passwordHash: kind === 'password' ? passwordHash : null,
  emails: kind === 'email-code' ? ['ann@example.org', 'Bob@example.org'] : [],
  failures: 0,
  lockedUntil: null,
  codeHash: null,
  codeExpiresAt: null,
  codeWindowStart: null,
  codeRequests: 0,
});
const [pw, mail] = [protection('password'), protection('email-code')];
const wrong = (address: string, p = pw, now = t0) => unlock.withPassword(p, 'wrong horse', address, now);
const right = (address: string, p = pw, now = t0) => unlock.withPassword(p, 'correct horse', address, now);
const passwordChecks = () => verify.mock.calls.length;

beforeAll(async () => {
  passwordHash = await real.hashSharePassword('correct horse', { N: 2 ** 10, r: 8, p: 1 });
  pw.passwordHash = passwordHash;
});
beforeEach(() => {
  registry = new MemoryCounters();
  unlock = new ShareUnlock(registry as unknown as ShareStore, limits, 'test secret key');
  verify.mockReset().mockImplementation(real.verifySharePassword);
  drawCode.mockReset().mockImplementation(real.newShareCode);
});

describe('ShareUnlock: passwords', () => {
  it('the right password unlocks and gives its counted attempt back (and clears the address on that link)', async () => {
    expect(await wrong(A)).toEqual({ ok: false, reason: 'wrong-password', attemptsLeft: 2 });
    expect(await right(A)).toEqual({ ok: true });
    expect((await unlock.withCounts(pw, t0)).failures).toBe(1); // the wrong guess only
    expect(await wrong(A)).toMatchObject({ attemptsLeft: 2 });
  });

  it('a wrong password counts and answers the attempts left; the last one allowed answers the lock it caused', async () => {
    expect(await wrong(A)).toEqual({ ok: false, reason: 'wrong-password', attemptsLeft: 2 });
    expect(await wrong(A)).toEqual({ ok: false, reason: 'wrong-password', attemptsLeft: 1 });
    expect(await wrong(A)).toEqual({
      ok: false,
      reason: 'locked',
      scope: 'link-address',
      retryAt: later(limits.lockMs),
      tried: 'wrong-password',
    });
    expect((await unlock.withCounts(pw, t0)).failures).toBe(3);
  });

  it('after SHARE_UNLOCK_MAX_FAILURES an address is refused before any derivation; another address still unlocks', async () => {
    for (let i = 0; i < limits.maxFailures; i++) await wrong(A);
    const checks = passwordChecks();
    const refused = { ok: false, reason: 'locked', scope: 'link-address', retryAt: later(limits.lockMs) };
    expect(await right(A)).toEqual(refused); // even the right password: not checked
    expect(await unlock.lockFor('s1', A, t0)).toEqual({ scope: 'link-address', retryAt: later(limits.lockMs) });
    expect(passwordChecks()).toBe(checks);
    expect(await right(B)).toEqual({ ok: true }); // the holder cannot lock the recipient out
    expect(await unlock.lockFor('s1', B, t0)).toBeNull();
    expect(await right(A, pw, later(limits.lockMs))).toEqual({ ok: true }); // the window over
  });

  it('SHARE_UNLOCK_MAX_FAILURES_PER_ADDRESS failures across links stop the address on every link', async () => {
    const [s2, s3] = [protection('password', 's2'), protection('password', 's3')];
    for (let i = 0; i < 3; i++) await wrong(A);
    expect(await wrong(A, s2)).toEqual({ ok: false, reason: 'wrong-password', attemptsLeft: 1 });
    expect(await wrong(A, s2)).toMatchObject({ reason: 'locked', scope: 'address', tried: 'wrong-password' });
    const checks = passwordChecks();
    expect(await right(A, s3)).toEqual({
      ok: false,
      reason: 'locked',
      scope: 'address',
      retryAt: later(limits.lockMs),
    });
    expect(passwordChecks()).toBe(checks);
    expect(await right(B, s3)).toEqual({ ok: true });
  });

  it('the daily link ceiling: past GUESSES_PER_DAY one guess per new address, past the maximum none; an address that opened the link is spared', async () => {
    expect(await right(A)).toEqual({ ok: true }); // A opened the link
    for (let i = 10; i < 10 + limits.guessesPerDay; i++) await wrong(ip(i));
    expect(await wrong(ip(10))).toMatchObject({ reason: 'locked', scope: 'link-ceiling' }); // had its guess today
    for (let i = 20; i < 20 + limits.maxGuessesPerDay - limits.guessesPerDay; i++) {
      expect(await wrong(ip(i))).toMatchObject({ reason: 'wrong-password' }); // one each
    }
    const checks = passwordChecks();
    expect(await right(B)).toEqual({ ok: false, reason: 'locked', scope: 'link-ceiling', retryAt: later(86_400_000) });
    expect(passwordChecks()).toBe(checks);
    expect((await unlock.withCounts(pw, t0)).lockedUntil).toEqual(later(86_400_000));
    expect(await wrong(A)).toMatchObject({ reason: 'wrong-password' }); // spared, its own limits still hold
    expect(await right(A)).toEqual({ ok: true });
  });

  it('a full derivation gate refuses at once (busy), derives nothing and counts nothing', async () => {
    let running = 0;
    let most = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    verify.mockImplementation(async () => {
      most = Math.max(most, ++running);
      await held;
      running--;
      return false;
    });
    const queued = [11, 12, 13, 14, 15].map((i) => wrong(ip(i))); // 1 running + 4 waiting
    expect(unlock.busy).toBe(true);
    expect(await right(B)).toEqual({ ok: false, reason: 'busy', retryAt: expect.any(Date) as Date });
    release();
    expect((await Promise.all(queued)).map((r) => r.ok)).toEqual([false, false, false, false, false]);
    expect(most).toBe(1);
    expect(verify.mock.calls.map(([password]) => password)).not.toContain('correct horse');
    expect((await unlock.withCounts(pw, t0)).failures).toBe(5); // the refused attempt was not counted
    verify.mockImplementation(real.verifySharePassword);
    expect(await right(B)).toEqual({ ok: true });
  });
});

describe('ShareUnlock: e-mailed codes', () => {
  const issue = async (code: string, recipient: number, now = t0) => {
    drawCode.mockReturnValueOnce(code);
    return unlock.issueCode(mail, recipient, A, now);
  };

  it('issueCode gives each recipient a code of its own; a new code for one does not invalidate another’s', async () => {
    expect(await issue('111111', 0)).toEqual({
      ok: true,
      code: '111111',
      email: 'ann@example.org',
      expiresAt: later(limits.codeValidityMs),
    });
    expect(await issue('222222', 1)).toMatchObject({ ok: true, code: '222222', email: 'Bob@example.org' });
    expect(await issue('333333', 0)).toMatchObject({ ok: true, code: '333333' }); // replaces Ann's 111111 only
    expect(await unlock.pendingCodes(mail, t0)).toEqual(['ann@example.org', 'Bob@example.org']);
    expect(await unlock.withCode(mail, '111111', B, t0)).toEqual({ ok: false, reason: 'wrong-code', attemptsLeft: 2 });
    expect(await unlock.withCode(mail, '222222', B, t0)).toEqual({ ok: true });
    expect(await unlock.withCode(mail, '333333', B, t0)).toEqual({ ok: true });
    expect(await unlock.pendingCodes(mail, t0)).toEqual([]);
  });

  it('a code is single use', async () => {
    await issue('123456', 0);
    expect(await unlock.withCode(mail, '123456', B, t0)).toEqual({ ok: true });
    expect(await unlock.withCode(mail, '123456', B, t0)).toEqual({
      ok: false,
      reason: 'code-expired',
      attemptsLeft: 3,
    });
  });

  it('an expired code is refused, and nothing is counted', async () => {
    await issue('123456', 0);
    const expired = later(limits.codeValidityMs);
    expect(await unlock.withCode(mail, '123456', B, expired)).toEqual({
      ok: false,
      reason: 'code-expired',
      attemptsLeft: 3,
    });
    expect((await unlock.withCounts(mail, expired)).failures).toBe(0);
  });

  it('a code typed with spaces or dashes is accepted', async () => {
    await issue('123456', 0);
    await issue('654321', 1);
    expect(await unlock.withCode(mail, ' 123 456 ', B, t0)).toEqual({ ok: true });
    expect(await unlock.withCode(mail, '654-321', B, t0)).toEqual({ ok: true });
  });

  it('wrong codes lock the address like wrong passwords, and a locked address gets no code', async () => {
    await issue('123456', 0);
    for (let i = 0; i < 2; i++) await unlock.withCode(mail, '000000', A, t0);
    expect(await unlock.withCode(mail, '000000', A, t0)).toMatchObject({ reason: 'locked', tried: 'wrong-code' });
    expect(await unlock.withCode(mail, '123456', A, t0)).toMatchObject({ reason: 'locked', scope: 'link-address' });
    expect(await issue('999999', 1)).toMatchObject({ ok: false, reason: 'locked', scope: 'link-address' });
    expect(await unlock.withCode(mail, '123456', B, t0)).toEqual({ ok: true }); // Ann's code still works elsewhere
  });

  it('a right code clears the address’s failures on the link, as a right password does', async () => {
    await issue('123456', 0); // one code pending: each wrong code is one guess on the link
    for (let i = 0; i < 2; i++) await unlock.withCode(mail, '000000', B, t0);
    expect(await unlock.withCode(mail, '123456', B, t0)).toEqual({ ok: true });
    // No code pending any more: nothing counted, and all 3 attempts are B's again (1 left had its failures stayed).
    expect(await unlock.withCode(mail, '000000', B, t0)).toEqual({
      ok: false,
      reason: 'code-expired',
      attemptsLeft: 3,
    });
  });

  it('past the link’s daily ceiling, an address that may not try gets no code (none sent, none counted)', async () => {
    await issue('123456', 0);
    for (let i = 0; i < limits.maxGuessesPerDay; i++) await unlock.withCode(mail, '000000', ip(20 + i), t0);
    drawCode.mockReturnValueOnce('777777');
    expect(await unlock.issueCode(mail, 1, B, t0)).toMatchObject({
      ok: false,
      reason: 'locked',
      scope: 'link-ceiling',
    });
    expect(await unlock.pendingCodes(mail, t0)).toEqual(['ann@example.org']);
  });

  it('a wrong code counts one guess per pending code on the link (one typed code is as many chances)', async () => {
    await issue('123456', 0);
    await issue('654321', 1);
    expect(await unlock.withCode(mail, '000000', B, t0)).toMatchObject({ reason: 'wrong-code' });
    expect((await unlock.withCounts(mail, t0)).failures).toBe(2);
  });
});
