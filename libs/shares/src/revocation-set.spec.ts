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
