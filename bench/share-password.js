// The share page's password check: node's scrypt at the cost the service uses (libs/shares/src/protection/
// share-secrets.ts) and its neighbours, ms per check on this machine. Usage: node bench/share-password.js [runs]
'use strict';
const { scrypt, randomBytes } = require('node:crypto');

const runs = Number(process.argv[2] ?? 20);
const hash = (password, salt, N) =>
  new Promise((resolve, reject) =>
    scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 128 * N * 8 + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );

(async () => {
  console.log(`scrypt r=8 p=1, ${runs} checks each, one at a time (node ${process.version})`);
  for (const log2 of [14, 15, 16]) {
    const N = 2 ** log2;
    const salt = randomBytes(16);
    await hash('warm-up', salt, N);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await hash('correct horse battery staple', salt, N);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / runs;
    const memory = (128 * N * 8) / 1048576;
    const mark = log2 === 15 ? '  <- the service' : '';
    console.log(
      `N=2^${log2}: mean ${mean.toFixed(1)} ms, median ${times[runs >> 1].toFixed(1)} ms, max ${times[runs - 1].toFixed(1)} ms, ${memory} MiB${mark}`,
    );
  }
})();
