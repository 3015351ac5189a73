import { tokenHash } from '@app/tokens';
import { RevocationSet } from './revocation-set';

describe('RevocationSet', () => {
  it('refuses a revoked share id whatever the token, and nothing else', () => {
    const set = new RevocationSet();
    set.add({ id: 'share-1', tokenHash: tokenHash('t1'), seq: 3 });
    expect(set.has('share-1', 'anything')).toBe(true);
    expect(set.has('share-2', 't1')).toBe(false); // a share row revokes by id, not by hash
    expect(set.has(null, 't1')).toBe(false);
    expect(set.lastSeq).toBe(3);
  });

  it('refuses a token without share id (Python-issued) revoked by hash', () => {
    const set = new RevocationSet();
    set.add({ id: `hash:${tokenHash('python-token')}`, tokenHash: tokenHash('python-token') });
    expect(set.has(null, 'python-token')).toBe(true);
    expect(set.has(null, 'other-token')).toBe(false);
    // Tokens of this service are looked up by id only: no hashing on their validate path.
    expect(set.has('some-id', 'python-token')).toBe(false);
  });

  it('never moves its sequence backwards', () => {
    const set = new RevocationSet();
    set.addAll([
      { id: 'a', tokenHash: 'x', seq: 5 },
      { id: 'b', tokenHash: 'y', seq: 2 },
    ]);
    expect(set.lastSeq).toBe(5);
    expect(set.size).toBe(2);
  });
});

describe('RevocationSet.prune', () => {
  const MIN = 60_000;

  it('forgets revocations of shares expired for over a minute, earliest first, and keeps the rest', () => {
    const set = new RevocationSet();
    const now = 10 * MIN;
    set.add({ id: 'expired-long-ago', tokenHash: 'a', expiresAt: now - 5 * MIN });
    set.add({ id: 'just-expired', tokenHash: 'b', expiresAt: now - 1000 });
    set.add({ id: 'future', tokenHash: 'c', expiresAt: now + MIN });
    set.add({ id: 'never', tokenHash: 'd', expiresAt: null });
    set.add({ id: `hash:${tokenHash('py')}`, tokenHash: tokenHash('py'), expiresAt: now - 2 * MIN });
    expect(set.prune(now)).toBe(2);
    expect(set.has('expired-long-ago', 'x')).toBe(false);
    expect(set.has(null, 'py')).toBe(false);
    // Within the grace minute, in the future, or never expiring: still refused.
    for (const id of ['just-expired', 'future', 'never']) expect(set.has(id, 'x')).toBe(true);
    expect(set.size).toBe(3);
    expect(set.prune(now + 2 * MIN)).toBe(2);
    expect(set.has('never', 'x')).toBe(true);
    expect(set.size).toBe(1);
  });

  it('keeps an entry first learnt without expiry (a notice from an earlier version)', () => {
    const set = new RevocationSet();
    set.add({ id: 'a', tokenHash: 'a' });
    set.add({ id: 'a', tokenHash: 'a', expiresAt: 0 });
    expect(set.prune(Date.now())).toBe(0);
    expect(set.has('a', 'x')).toBe(true);
  });

  it('drops thousands in expiry order whatever the order they came in', () => {
    const set = new RevocationSet();
    const order = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    for (const i of order) set.add({ id: `s${i}`, tokenHash: `${i}`, expiresAt: i * 1000 });
    expect(set.prune(2500 * 1000 + 60_000)).toBe(2501);
    expect(set.has('s2500', 'x')).toBe(false);
    expect(set.has('s2501', 'x')).toBe(true);
    expect(set.size).toBe(2499);
  });
});
