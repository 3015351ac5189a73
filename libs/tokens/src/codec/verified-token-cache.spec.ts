import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ShareTokenCodec } from './share-token-codec';
import { estimateEntryBytes, VerifiedTokenCache } from './verified-token-cache';
import { ShareToken } from '../token-types';

const t = (id: string) =>
  ({ id, shareId: null, resources: [], type: 'x', expirationDate: null }) as unknown as ShareToken;
const MiB = 1024 * 1024;

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

describe('VerifiedTokenCache on the heap', () => {
  // A real heap measure: 64 KiB share tokens, signed and verified as validate does, flooding a cache whose byte bound
  // is 8 MiB. Before the byte bound, the cache kept 10,000 of them (~1 GB).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapUsed = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const codec = new ShareTokenCodec('a-test-key-of-32-characters-....');
  const bigToken = (i: number, resources = 1, urlLength = 45_000) =>
    codec.sign({
      id: `share-${i}`,
      shareId: `3f1c2d4e-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'stone-viewer-publication',
      expirationDate: '2030-01-01T00:00:00+00:00',
      validityDuration: 3600,
      resources: Array.from({ length: resources }, (_, k) => ({
        dicomUid: `1.2.840.113619.2.55.3.${i}.${k}`,
        orthancId: 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
        url: `https://pacs.example.org/${'u'.repeat(urlLength)}/${i}`,
        level: 'study' as const,
      })),
    });
  const verified = (raw: string) => {
    const result = codec.verify(raw);
    if (!result.ok) throw new Error('the test token does not verify');
    return result.token;
  };

  it('the estimate is within 15% of what V8 holds per entry, large and small tokens', () => {
    for (const [count, resources, urlLength] of [
      [200, 1, 45_000],
      [200, 200, 80],
      [5000, 1, 20],
    ]) {
      const raws = Array.from({ length: count }, (_, i) => bigToken(i, resources, urlLength));
      const cache = new VerifiedTokenCache({ maxEntries: 1e9, maxBytes: 1e12 });
      const before = heapUsed();
      for (const raw of raws) cache.set(raw, verified(raw));
      // The keys were on the heap before (the test made them): count them as the cache's, as a request's would be.
      const measured = heapUsed() - before + raws.reduce((sum, r) => sum + r.length + 16, 0);
      const ratio = cache.bytes / measured;
      expect({ tokenLength: raws[0].length, ratioWithin15Percent: ratio > 0.85 && ratio < 1.15, ratio }).toEqual({
        tokenLength: raws[0].length,
        ratioWithin15Percent: true,
        ratio,
      });
    }
  });

  it('a flood of 64 KiB tokens holds about the byte bound (8 MiB), not 10,000 of them', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 10_000, maxBytes: 8 * MiB });
    const before = heapUsed();
    for (let i = 0; i < 800; i++) {
      const raw = bigToken(i); // ~60 KB each, ~100 KB on the heap once decoded: 80 MB if all were kept
      cache.set(raw, verified(raw));
    }
    const grown = heapUsed() - before;
    expect(grown).toBeLessThan(12 * MiB);
    expect(cache.size).toBeLessThan(100);
    expect(cache.bytes).toBeLessThanOrEqual(8 * MiB);
  });
});
