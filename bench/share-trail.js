'use strict';
/*
 * npm run bench:trail — what the access trail of protected shares (issue 15) costs the process that answers
 * validate, on the built service's code:
 *
 * - recordAccess() alone: nanoseconds of CPU per call (process.cpuUsage over synchronous runs of CHUNK calls, the
 *   trail handing its batches to a store that does nothing, so that no other thread's CPU is counted), minus the cost
 *   of making the event object, measured alone; for the events validate and the share page report: a page opening, a
 *   child token's first grant (a new child id each time), a repeated grant (the deduplicated fast path).
 * - the writes, to a real SQLite registry (and PostgreSQL with BENCH_DATABASE_URL=postgres://...): milliseconds per
 *   batch, whole (the writer thread's transaction, or PostgreSQL's round trips) and on the service's own thread (what
 *   the event loop that answers validate spends: handing the batch over), and events written per second.
 *
 * Options (env): TRAIL_BENCH_EVENTS (recordAccess calls per kind, 1000000), TRAIL_BENCH_WRITTEN (events written per
 * kind, 200000), TRAIL_BENCH_CHUNK (calls per synchronous run, 5000).
 */
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./process-tools');

const EVENTS = Number(process.env.TRAIL_BENCH_EVENTS ?? 1_000_000);
const EVENTS_WRITTEN = Number(process.env.TRAIL_BENCH_WRITTEN ?? 200_000);
const CHUNK = Number(process.env.TRAIL_BENCH_CHUNK ?? 5000);
const shares = require(path.join(ROOT, 'dist/libs/shares/src'));
// The library's own logger lines (the Nest Logger) are not the measure.
require('@nestjs/common').Logger.overrideLogger(false);

const turn = () => new Promise((r) => setImmediate(r));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

/**
 * The store, each batch write timed twice: the part on the caller's (the service's) thread, until writeAccess returns
 * its promise (SQLite: handing the batch to the writer thread), and the whole write, until the promise settles.
 */
function timed(store) {
  const writes = [];
  const write = store.writeAccess.bind(store);
  store.writeAccess = async (batch) => {
    const start = process.hrtime.bigint();
    const pending = write(batch);
    const sync = process.hrtime.bigint();
    try {
      await pending;
    } finally {
      const end = process.hrtime.bigint();
      writes.push({ syncMs: Number(sync - start) / 1e6, ms: Number(end - start) / 1e6, events: batch.events.length });
    }
  };
  return writes;
}

const NOOP_STORE = { writeAccess: async () => undefined, pruneAccess: async () => 0, accessOf: async () => null };
const newTrail = () => new shares.ShareAccessTrail({ ...shares.TRAIL_LIMITS, retentionMs: 90 * 86_400_000 });

/** CPU per call of `fn` over `n` calls, in synchronous runs of CHUNK with a turn of the event loop between. */
async function cpuPerCall(n, fn) {
  let cpu = 0;
  for (let done = 0; done < n; done += CHUNK) {
    const c0 = process.cpuUsage();
    for (let i = done; i < done + CHUNK; i++) fn(i);
    const used = process.cpuUsage(c0);
    cpu += used.user + used.system;
    await turn();
  }
  return (cpu * 1000) / n;
}

/** recordAccess alone (a store that takes batches and does nothing): process CPU is then the calls' own. */
async function recordCost(label, makeEvent) {
  const trail = newTrail();
  trail.start(NOOP_STORE);
  const sink = [];
  // Warm-up: the JIT.
  for (let i = 0; i < 50_000; i++) trail.record(makeEvent(-i - 1));
  await trail.flush();
  // The caller's own cost of making the event, measured alone, to be told apart.
  const baseline = await cpuPerCall(EVENTS, (i) => {
    sink[i & 1023] = makeEvent(i);
  });
  const total = await cpuPerCall(EVENTS, (i) => {
    trail.record(makeEvent(i));
    if ((i & 4095) === 0) void trail.flush();
  });
  await trail.stop();
  return { label, total, baseline, record: total - baseline };
}

/** The writes to a real store: EVENTS_WRITTEN events, written a batch at a time as the timer does. */
async function writeCost(label, store, makeEvent) {
  const writes = timed(store);
  const trail = newTrail();
  trail.start(store);
  for (let i = 0; i < 5000; i++) trail.record(makeEvent(-i - 1));
  await trail.flush();
  writes.length = 0;
  const started = process.hrtime.bigint();
  for (let done = 0; done < EVENTS_WRITTEN; done += CHUNK) {
    for (let i = done; i < done + CHUNK; i++) trail.record(makeEvent(i));
    await trail.flush();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = trail.stats();
  await trail.stop();
  const sorted = (k) => writes.map((w) => w[k]).sort((a, b) => a - b);
  const ms = sorted('ms');
  const sync = sorted('syncMs');
  const events = writes.reduce((n, w) => n + w.events, 0);
  return {
    label,
    batches: writes.length,
    ms: [pct(ms, 50), pct(ms, 99), ms[ms.length - 1] ?? 0],
    sync: [pct(sync, 50), pct(sync, 99), sync[sync.length - 1] ?? 0],
    perSecond: events / seconds,
    written: events,
    dropped: stats.dropped,
  };
}

const KINDS = [
  [
    'page-open',
    (i) => ({
      shareId: `share-${i % 1000}`,
      kind: 'page-open',
      outcome: 'ok',
      clientAddress: '203.0.113.7',
      userAgent: UA,
      at: new Date(),
    }),
  ],
  [
    'child-grant, new child',
    (i) => ({
      shareId: `share-${i % 1000}`,
      kind: 'child-grant',
      outcome: 'ok',
      childId: `child-${i}`,
      clientAddress: '203.0.113.7',
      userAgent: UA,
      at: new Date(),
    }),
  ],
  [
    'child-grant, repeated',
    () => ({
      shareId: 'share-1',
      kind: 'child-grant',
      outcome: 'ok',
      childId: 'child-repeated',
      clientAddress: '203.0.113.7',
      userAgent: UA,
      at: new Date(),
    }),
  ],
];

async function main() {
  const f = (n, d = 1) => n.toFixed(d);
  console.log(
    `share access trail, ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(`recordAccess alone: ns of CPU per call over ${EVENTS} calls (runs of ${CHUNK})`);
  console.log('event                     record  (making the event  call + event)');
  for (const [label, make] of KINDS) {
    const r = await recordCost(label, make);
    console.log(
      `${label.padEnd(24)}  ${f(r.record).padStart(6)}  (${f(r.baseline).padStart(16)}  ${f(r.total).padStart(12)})`,
    );
  }

  const engines = [
    [
      'SQLite',
      async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-trail-bench-'));
        const store = new shares.SqliteShareStore(path.join(dir, 'shares.sqlite'));
        await store.migrate();
        const close = async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        };
        return { store, close };
      },
    ],
  ];
  if (process.env.BENCH_DATABASE_URL) {
    engines.push([
      'PostgreSQL',
      async () => {
        const store = new shares.PgShareStore(process.env.BENCH_DATABASE_URL);
        await store.migrate();
        await store.pool.query('TRUNCATE share_access_events, share_access_counts');
        return { store, close: () => store.close() };
      },
    ]);
  }
  for (const [name, open] of engines) {
    console.log(`\n${name}: ${EVENTS_WRITTEN} events written in batches of ${shares.TRAIL_LIMITS.batchSize}`);
    console.log(
      'event                     batches  ms per batch p50/p99/max  ms on the service thread p50/p99/max  events/s',
    );
    for (const [label, make] of KINDS) {
      const { store, close } = await open();
      try {
        const r = await writeCost(label, store, make);
        const three = (a) => a.map((x) => f(x, 2)).join('/');
        console.log(
          `${label.padEnd(24)}  ${String(r.batches).padStart(7)}  ${three(r.ms).padStart(24)}  ${three(r.sync).padStart(36)}  ${f(r.perSecond, 0).padStart(8)}`,
        );
      } finally {
        await close();
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
