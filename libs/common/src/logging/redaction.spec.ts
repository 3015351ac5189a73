import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { REDACTED, secretScrubber } from './redaction';

/** The JWT pattern as it was written first: the meaning the linear scan must keep (quadratic, so short inputs only). */
const JWT_REFERENCE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** An input of exactly `size` characters made of `unit` repeated (cut at the end), between `head` and `tail`. */
const made = (size: number, unit: string, head = '', tail = '') =>
  head + unit.repeat(Math.ceil(size / unit.length)).slice(0, size - head.length - tail.length) + tail;

describe('secretScrubber: the JWT pattern', () => {
  const scrub = secretScrubber([]);

  it('blanks exactly what the pattern /eyJ…{4,}\\.…{4,}\\.…*/ matches (generated lines, short enough for the regex)', () => {
    const alphabet = ['e', 'y', 'J', 'eyJ', '.', 'a', 'Z', '0', '_', '-', ' ', '"', '/', '%', '=', 'eyJhbGci'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), (parts) => {
        const line = parts.join('');
        expect(scrub(line)).toBe(line.replace(JWT_REFERENCE, REDACTED));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the known cases: tokens in JSON, in paths, after text, back to back', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(scrub(`{"msg":"x ${jwt} y","path":"/t/${jwt}"}`)).toBe(`{"msg":"x ${REDACTED} y","path":"/t/${REDACTED}"}`);
    expect(scrub(`ab${jwt}.${jwt}`)).toBe(`ab${REDACTED}.${REDACTED}`);
    expect(scrub('eyJabc.defg.hij')).toBe('eyJabc.defg.hij'); // 3 characters after eyJ: not a JWT shape
    expect(scrub('eyJabcd.efgh.')).toBe(REDACTED); // an empty signature still blanks the header and payload
    expect(scrub('eyJabcd.efg.hij')).toBe('eyJabcd.efg.hij');
  });

  // The defect: `eyJ` repeated made the regex retry at every `eyJ` and backtrack to the end of the run, O(n²): 16 KB
  // held the event loop ~90 ms per access line.
  const pathological: Array<[string, (size: number) => string]> = [
    ['eyJ repeated', (n) => made(n, 'eyJ')],
    ['eyJ repeated in a path', (n) => made(n, 'eyJ', '{"msg":"request","path":"/', '"}')],
    ['a header then eyJ repeated', (n) => made(n, 'eyJ', 'eyJhbGciOiJIUzI1NiJ9.')],
    ['eyJ and dots', (n) => made(n, 'eyJa.')],
    ['eyJxxxx. repeated', (n) => made(n, 'eyJxxxx.')],
    ['Bearer then spaces', (n) => made(n, ' ', 'Bearer', '!')],
    ['Basic repeated', (n) => made(n, 'Basic ')],
  ];
  // Whether the scan is linear is a property, not a speed target: a 1 MiB line of each shape must be scrubbed at all.
  // Linear, that takes milliseconds; the quadratic pattern needed ~8.7 s for 64 KB, so ~35 minutes for 1 MiB. The
  // 20 s bound is three orders of magnitude from either, so a loaded machine cannot fail it and the defect cannot pass
  // it. How the cost grows with the size is measured by `node bench/redaction.js` (figures, not assertions).
  it.each(pathological)(
    'a 1 MiB line of %s is scrubbed (linear scan: milliseconds; the quadratic one: ~35 minutes)',
    (_name, line) => {
      const input = line(1024 * 1024);
      const start = performance.now();
      const out = scrub(input);
      expect(performance.now() - start).toBeLessThan(20_000);
      expect(out.length).toBeGreaterThan(0);
    },
  );
});
