// Preloaded into a service process (NODE_OPTIONS=--require ...) by config-read-once.e2e-spec.ts: counts the reads of
// process.env by variable name and writes them as JSON to ENV_READS_FILE when the process exits.
const { writeFileSync } = require('node:fs');
const { countEnvReads } = require('./env-reads.cjs');

const file = process.env.ENV_READS_FILE;
const counted = countEnvReads(process.env);
process.env = counted.env;
process.on('exit', () => writeFileSync(file, JSON.stringify(counted.reads)));
