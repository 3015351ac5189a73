// The log scrubber's cost on pathological lines (libs/common/src/logging/redaction.ts): seconds per call against a
// benign line of the same size, and how the cost grows with 8x the input (~8x when linear, 64x when quadratic).
// Figures, not assertions. Usage: npm run build && node bench/redaction.js
'use strict';
const { performance } = require('node:perf_hooks');
const { secretScrubber } = require('../dist/libs/common/src/logging/redaction');

const scrub = secretScrubber([]);
const made = (size, unit, head = '', tail = '') =>
  head + unit.repeat(Math.ceil(size / unit.length)).slice(0, size - head.length - tail.length) + tail;
const shapes = {
  'eyJ repeated': (n) => made(n, 'eyJ'),
  'eyJ repeated in a path': (n) => made(n, 'eyJ', '{"msg":"request","path":"/', '"}'),
  'a header then eyJ repeated': (n) => made(n, 'eyJ', 'eyJhbGciOiJIUzI1NiJ9.'),
  'eyJ and dots': (n) => made(n, 'eyJa.'),
  'eyJxxxx. repeated': (n) => made(n, 'eyJxxxx.'),
  'Bearer then spaces': (n) => made(n, ' ', 'Bearer', '!'),
  'Basic repeated': (n) => made(n, 'Basic '),
};
const benign = (n) => made(n, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl and some words ');

/** Seconds per call: the best of 5 samples of at least 5 ms each. */
function secondsPerCall(input) {
  let best = Infinity;
  for (let sample = 0; sample < 5; sample++) {
    let calls = 0;
    const start = performance.now();
    let elapsed;
    do {
      scrub(input);
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < 5);
    best = Math.min(best, elapsed / calls);
  }
  return best / 1000;
}

const reference = secondsPerCall(benign(64 * 1024));
console.log(`benign 64 KB line: ${(reference * 1e3).toFixed(3)} ms per call (node ${process.version})`);
console.log('shape'.padEnd(28), '64 KB ms', 'x benign', '8 KB -> 64 KB growth');
for (const [name, line] of Object.entries(shapes)) {
  const large = secondsPerCall(line(64 * 1024));
  const small = secondsPerCall(line(8 * 1024));
  console.log(
    name.padEnd(28),
    (large * 1e3).toFixed(3).padStart(8),
    (large / reference).toFixed(2).padStart(8),
    `${(large / small).toFixed(1)}x`.padStart(20),
  );
}
