import { DerivationGate } from './derivation-gate';
import { admit, normalizeCode, unlockKeys } from './unlock-rules';
import { loadUnlockLimits } from '../shares.config';
import { hashSharePassword, newShareCode, sameHash, shareCodeHash, verifySharePassword } from './share-secrets';

describe('share secrets', () => {
  const cheap = { N: 2 ** 10, r: 8, p: 1 };

  it('hashes a password with its parameters and a random salt, and checks it', async () => {
    const a = await hashSharePassword('correct horse', cheap);
    const b = await hashSharePassword('correct horse', cheap);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifySharePassword('correct horse', a)).toBe(true);
    expect(await verifySharePassword('correct horsf', a)).toBe(false);
  });

  it('answers false for a missing or malformed hash (after a scrypt all the same)', async () => {
    for (const stored of [null, '', 'scrypt$x$8$1$a$b', 'bcrypt$1$2$3$4$5', 'scrypt$1073741824$8$1$a$b']) {
      expect(await verifySharePassword('anything', stored)).toBe(false);
    }
  });

  it('codes: 6 digits; stored as a keyed hash that depends on the share', () => {
    for (let i = 0; i < 50; i++) expect(newShareCode()).toMatch(/^\d{6}$/);
    const h = shareCodeHash('key', 'share-1', '123456');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(shareCodeHash('key', 'share-2', '123456')).not.toBe(h);
    expect(shareCodeHash('other key', 'share-1', '123456')).not.toBe(h);
    expect(sameHash(h, shareCodeHash('key', 'share-1', '123456'))).toBe(true);
    expect(sameHash(null, h)).toBe(false);
    expect(sameHash(h.slice(2), h)).toBe(false);
  });
});

describe('unlock rules', () => {
  const limits = { ...loadUnlockLimits({}), guessesPerDay: 2, maxGuessesPerDay: 3 };
  const now = new Date('2026-12-07T12:00:00Z');

  it('admits an attempt by counting it first, and refuses past each limit with its scope', () => {
    const keys = unlockKeys('s', '198.51.100.1');
    const current = new Map();
    for (let i = 0; i < 5; i++) {
      const a = admit(current, keys, limits, now);
      if (!a.ok) throw new Error(`refused at ${i}`);
      expect(a.attemptsLeft).toBe(4 - i);
      for (const c of a.counted) current.set(c.key, c);
      if (i === 1) current.set(keys.known, { ...a.counted[0], key: keys.known }); // it opened the link once
    }
    expect(admit(current, keys, limits, now)).toEqual({
      ok: false,
      scope: 'link-address',
      retryAt: new Date(now.getTime() + limits.lockMs),
    });
    // The lock window over, the address tries again (it opened the link: the daily ceilings spare it).
    expect(admit(current, keys, limits, new Date(now.getTime() + limits.lockMs)).ok).toBe(true);
    // A new address: the link had 5 wrong guesses today (past the maximum of 3).
    expect(admit(current, unlockKeys('s', '192.0.2.1'), limits, now)).toMatchObject({
      ok: false,
      scope: 'link-ceiling',
    });
  });

  it('reads a code with spaces, dashes or dots', () => {
    expect(normalizeCode(' 123 456 ')).toBe('123456');
    expect(normalizeCode('123-456')).toBe('123456');
    expect(normalizeCode('12.34.56')).toBe('123456');
  });
});

describe('unlockKeys: the client address a count is kept under', () => {
  it('counts an IPv6 address by its /64: another address of the same /64 is the same client (issue 24)', () => {
    expect(unlockKeys('s', '2001:db8:1:2::1')).toEqual(unlockKeys('s', '2001:db8:1:2:ffff::9'));
    expect(unlockKeys('s', '2001:db8:1:2::1').address).not.toBe(unlockKeys('s', '2001:db8:1:3::1').address);
    // IPv4 stays per address, and a request without an address counts under one shared name
    expect(unlockKeys('s', '203.0.113.1').address).not.toBe(unlockKeys('s', '203.0.113.2').address);
    expect(unlockKeys('s', null).address).toBe('a:unknown');
  });
});

describe('DerivationGate', () => {
  it('lets capacity run, queue wait, and refuses beyond at once; a waiting ticket that leaves frees its place', async () => {
    const gate = new DerivationGate(2, 1);
    const a = gate.enter()!;
    const b = gate.enter()!;
    await Promise.all([a.ready, b.ready]);
    const waiting = gate.enter()!;
    expect(waiting).not.toBeNull();
    expect(gate.enter()).toBeNull();
    let started = false;
    void waiting.ready.then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(false);
    a.leave();
    a.leave(); // twice: given back once
    await waiting.ready;
    expect(started).toBe(true);
    const queued = gate.enter()!;
    expect(gate.enter()).toBeNull();
    queued.leave(); // never ran: its queue place is free again, no running place given
    const again = gate.enter()!;
    expect(again).not.toBeNull();
    b.leave();
    await again.ready;
    waiting.leave();
    again.leave();
    const c = gate.enter()!;
    const d = gate.enter()!;
    await Promise.all([c.ready, d.ready]);
  });
});
