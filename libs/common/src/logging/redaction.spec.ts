import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { REDACTED, secretScrubber } from './redaction';

/** The JWT pattern as it was written first: the meaning the linear scan must keep (quadratic, so short inputs only). */
const JWT_REFERENCE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Seconds per call of `fn(input)`: the best of a few samples, each long enough for the timer (a loaded machine). */
function secondsPerCall(fn: (s: string) => string, input: string): number {
  let best = Infinity;
  for (let sample = 0; sample < 5; sample++) {
    let calls = 0;
    const start = performance.now();
    let elapsed: number;
    do {
      fn(input);
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < 5);
    best = Math.min(best, elapsed / calls);
  }
  return best / 1000;
}

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
  // held the event loop ~90 ms per access line. The bound is measured in this run, not a wall-clock constant: a
  // pathological line costs about what a benign line of the same size costs, and 8x the input about 8x (not 64x).
  const pathological: Array<[string, (size: number) => string]> = [
    ['eyJ repeated', (n) => made(n, 'eyJ')],
    ['eyJ repeated in a path', (n) => made(n, 'eyJ', '{"msg":"request","path":"/', '"}')],
    ['a header then eyJ repeated', (n) => made(n, 'eyJ', 'eyJhbGciOiJIUzI1NiJ9.')],
    ['eyJ and dots', (n) => made(n, 'eyJa.')],
    ['eyJxxxx. repeated', (n) => made(n, 'eyJxxxx.')],
    ['Bearer then spaces', (n) => made(n, ' ', 'Bearer', '!')],
    ['Basic repeated', (n) => made(n, 'Basic ')],
  ];
  // Benign: a line as long, made of real JWTs and words, which the scrubber must blank one by one.
  const benign = (n: number) => made(n, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and some words ');

  it.each(pathological)('a 64 KB line of %s costs about what a benign line of that size costs', (_name, line) => {
    const size = 64 * 1024;
    const input = line(size);
    expect(input.length).toBe(size);
    const reference = secondsPerCall(scrub, benign(size));
    const cost = secondsPerCall(scrub, input);
    // Linear scans are within a small factor of each other; the quadratic pattern was thousands of times slower.
    expect(cost / reference).toBeLessThan(10);
  });

  // 8x the input: ~8x when linear, 64x when quadratic. The margin is for a loaded machine and for the garbage
  // collector, which handles strings over 128 KB (a 64 KB line with its replacements) in a slower space.
  it.each(pathological)('8x the %s line costs about 8x, not 64x', (_name, line) => {
    const small = secondsPerCall(scrub, line(8 * 1024));
    const large = secondsPerCall(scrub, line(64 * 1024));
    expect(large / small).toBeLessThan(24);
  });
});
