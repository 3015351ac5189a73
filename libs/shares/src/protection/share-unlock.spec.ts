import { AddressFailures } from './address-failures';
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

describe('AddressFailures', () => {
  it('locks an address at its max-th failure, for lockMs, then forgets it', () => {
    const f = new AddressFailures(3, 1000);
    expect(f.fail('a', 0)).toBe(0);
    expect(f.left('a', 0)).toBe(2);
    expect(f.fail('a', 10)).toBe(0);
    expect(f.fail('a', 20)).toBe(1020);
    expect(f.lockedUntil('a', 500)).toBe(1020);
    expect(f.lockedUntil('b', 500)).toBe(0);
    expect(f.lockedUntil('a', 1021)).toBe(0);
    expect(f.left('a', 1021)).toBe(3);
  });

  it('counts an IPv6 address by its /64: another address of the same /64 is the same client (issue 24)', () => {
    const f = new AddressFailures(3, 1000);
    f.fail('2001:db8:1:2::1', 0);
    f.fail('2001:db8:1:2::2', 0);
    expect(f.fail('2001:db8:1:2:ffff::9', 0)).toBe(1000);
    expect(f.lockedUntil('2001:db8:1:2::abcd', 10)).toBe(1000);
    expect(f.lockedUntil('2001:db8:1:3::1', 10)).toBe(0);
    // IPv4 stays per address
    f.fail('203.0.113.1', 0);
    f.fail('203.0.113.2', 0);
    expect(f.left('203.0.113.3', 0)).toBe(3);
  });

  it('forgets failures older than lockMs, never counts a null address, and stays bounded', () => {
    const f = new AddressFailures(2, 1000, 100);
    f.fail('a', 0);
    expect(f.fail('a', 1500)).toBe(0);
    expect(f.fail(null, 0)).toBe(0);
    expect(f.left(null, 0)).toBe(2);
    for (let i = 0; i < 1000; i++) f.fail(`spoofed-${i}`, 2000);
    expect(f.size).toBeLessThanOrEqual(100);
  });
});
