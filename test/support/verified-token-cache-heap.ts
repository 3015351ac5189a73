// Measures what the verified-token cache holds on V8's heap, in a fresh process (node --expose-gc): a jest worker's
// heap carries the garbage and the lazily released state of the suites it ran before, enough to skew a measure of a
// few MB. Prints one JSON line; test/verified-token-cache-heap.e2e-spec.ts judges it.
import { ShareTokenCodec, VerifiedTokenCache } from '@app/tokens';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const MiB = 1024 * 1024;
const codec = new ShareTokenCodec('a-test-key-of-32-characters-....');

/** A share token as this service signs them: `resources` studies, each with a url of `urlLength` characters. */
const token = (i: number, resources: number, urlLength: number) =>
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

// Per entry: the cache's estimate against the heap it takes, keys included (a request's token string is kept by
// the cache, as here the test's).
const perEntry = [
  [200, 1, 45_000],
  [200, 200, 80],
  [5000, 1, 20],
].map(([count, resources, urlLength]) => {
  const raws = Array.from({ length: count }, (_, i) =>
    Buffer.from(token(i, resources, urlLength), 'latin1').toString('latin1'),
  );
  const cache = new VerifiedTokenCache({ maxEntries: 1e9, maxBytes: 1e12 });
  const before = heapUsed();
  for (const raw of raws) cache.set(raw, verified(raw));
  const measured = heapUsed() - before + raws.reduce((sum, r) => sum + r.length + 16, 0);
  return { tokenLength: raws[0].length, entries: cache.size, estimated: cache.bytes, measured };
});

// A flood: 800 tokens of ~60 KB (~100 KB each on the heap once decoded, 80 MB if all were kept) into a cache bounded
// at 10,000 entries and 8 MiB, each token string dropped once cached, as a request's would be.
const flood = (() => {
  const cache = new VerifiedTokenCache({ maxEntries: 10_000, maxBytes: 8 * MiB });
  const before = heapUsed();
  for (let i = 0; i < 800; i++) {
    const raw = token(i, 1, 45_000);
    cache.set(raw, verified(raw));
  }
  return { grown: heapUsed() - before, entries: cache.size, estimated: cache.bytes, bound: 8 * MiB };
})();

process.stdout.write(`${JSON.stringify({ perEntry, flood })}\n`);
