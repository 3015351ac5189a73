import { estimateEntryBytes, VerifiedTokenCache } from './verified-token-cache';
import { ShareToken } from '../token-types';

const t = (id: string) =>
  ({ id, shareId: null, resources: [], type: 'x', expirationDate: null }) as unknown as ShareToken;
const MiB = 1024 * 1024;

// Against V8's heap (the estimate, a flood of 64 KiB tokens): test/verified-token-cache-heap.e2e-spec.ts, in a
// fresh process.
describe('VerifiedTokenCache', () => {
  it('is bounded by count: the oldest entry leaves first', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 2, maxBytes: MiB });
    cache.set('a', t('a'));
    cache.set('b', t('b'));
    cache.set('c', t('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')?.id).toBe('c');
  });

  it('is bounded by bytes: the oldest entries leave until the new one fits', () => {
    const one = estimateEntryBytes('a'.repeat(1000), t('a'));
    const cache = new VerifiedTokenCache({ maxEntries: 1000, maxBytes: 3 * one });
    for (const c of 'abcde') cache.set(c.repeat(1000), t(c));
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * one);
    expect(['a', 'b', 'c', 'd', 'e'].map((c) => cache.get(c.repeat(1000))?.id ?? null)).toEqual([
      null,
      null,
      'c',
      'd',
      'e',
    ]);
    // The same token again replaces its entry instead of counting it twice.
    cache.set('e'.repeat(1000), t('e'));
    expect([cache.size, cache.bytes]).toEqual([3, 3 * one]);
  });

  it('does not cache a token larger than the whole byte bound (and keeps what it holds)', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 10, maxBytes: 4096 });
    cache.set('small', t('small'));
    cache.set('x'.repeat(5000), t('big'));
    expect(cache.get('x'.repeat(5000))).toBeUndefined();
    expect(cache.get('small')?.id).toBe('small');
  });

  it('remembers nothing with either bound at 0', () => {
    for (const limits of [
      { maxEntries: 0, maxBytes: MiB },
      { maxEntries: 10, maxBytes: 0 },
    ]) {
      const cache = new VerifiedTokenCache(limits);
      cache.set('a', t('a'));
      expect(cache.get('a')).toBeUndefined();
    }
  });

  it('counts text outside Latin-1 at two bytes a character, as V8 stores it', () => {
    const latin = estimateEntryBytes('r', { ...t('é'.repeat(100)) });
    const wide = estimateEntryBytes('r', { ...t('€'.repeat(100)) });
    expect(wide - latin).toBe(100);
  });
});
