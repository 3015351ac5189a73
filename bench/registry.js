'use strict';
/*
 * npm run bench:registry -- --shares 1000000 [--engine sqlite|postgres|both] [--database-url URL]
 *
 * The share registry at scale: seeds a registry of N shares (bench/registry-seed.js), then runs the built service on
 * it and prints, per engine: seeding time, disk per share, start-up time and RSS, every GET /shares variant (median
 * and slowest of several calls), validate throughput and p99 alone and while the heaviest listings run, and the
 * longest event-loop stall while listing and across a periodic resync (the service's own
 * nodejs_eventloop_lag_max_seconds, read from /metrics).
 *
 * Options (or BENCH_REGISTRY_* environment variables):
 *   --shares N            registry size (default 100000)
 *   --engine E            sqlite, postgres or both (default: both when a database URL is given, else sqlite)
 *   --database-url URL    a PostgreSQL role that may CREATE DATABASE (default $BENCH_DATABASE_URL, then
 *                         $TEST_DATABASE_URL): a throw-away database is created and dropped
 *   --service-root DIR    the checkout whose built service (dist/) is measured (default: this one); the seeder writes
 *                         whichever schema that service creates, so an older checkout can be measured the same way
 *   --upgrade             seed the original schema (version 1) and let the service migrate it on its first start
 *   --quick               no HTTP: seed, then only the registry's own figures (start-up, resyncs, disk)
 *   --duration S          seconds of each validate load (default 10)
 *   --resync-wait S       seconds to watch the event loop for resync stalls (default 35: one PostgreSQL resync)
 *   --out FILE            also write the report (markdown) there
 */
const { spawn } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');
const { ROOT, SERVICE_NODE_FLAGS, serviceEnv, sleep, freePort, rssMb, waitForHttp } = require('./process-tools');
const seed = require('./registry-seed');

const USER = 'bench-user';
const PASSWORD = 'bench-password';
const BASIC = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const LIST_CALLS = 5;

function options(argv) {
  const env = process.env;
  const o = {
    shares: Number(env.BENCH_REGISTRY_SHARES || 100_000),
    engine: env.BENCH_REGISTRY_ENGINE || null,
    databaseUrl: env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || null,
    serviceRoot: ROOT,
    upgrade: false,
    quick: false,
    duration: Number(env.BENCH_REGISTRY_DURATION || 10),
    resyncWait: Number(env.BENCH_REGISTRY_RESYNC_WAIT || 35),
    out: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--shares' || a === '--registry') o.shares = Number(next());
    else if (a === '--engine') o.engine = next();
    else if (a === '--database-url') o.databaseUrl = next();
    else if (a === '--service-root') o.serviceRoot = path.resolve(next());
    else if (a === '--upgrade') o.upgrade = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--duration') o.duration = Number(next());
    else if (a === '--resync-wait') o.resyncWait = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.shares) || o.shares < 1000) throw new Error('--shares must be an integer >= 1000');
  o.engines = o.engine === 'both' || (!o.engine && o.databaseUrl) ? ['sqlite', 'postgres'] : [o.engine || 'sqlite'];
  if (o.engines.includes('postgres') && !o.databaseUrl) throw new Error('postgres needs --database-url');
  return o;
}

// ------------------------------------------------------------------------------------------------ the service

function startService(main, env) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.logText = () => log;
  return child;
}

async function stopService(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts the service and answers it with the milliseconds from spawn to its first /health answer. */
async function boot(main, env) {
  const started = Date.now();
  const child = startService(main, env);
  try {
    await waitForHttp(`http://127.0.0.1:${env.PORT}/health`, 600_000, 5);
  } catch (err) {
    await stopService(child);
    throw new Error(`the service did not start: ${err.message}\n${child.logText()}`, { cause: err });
  }
  return { child, startupMs: Date.now() - started };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function get(base, pathAndQuery) {
  const t = process.hrtime.bigint();
  const res = await fetch(base + pathAndQuery, { headers: { authorization: BASIC } });
  const text = await res.text();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { status: res.status, ms, text };
}

/**
 * The service's own event-loop delay since the previous call (prom-client resets its window on every scrape):
 * orthanc_auth_nodejs_eventloop_lag_max_seconds and _p99_seconds, in ms. On a shared machine these include the time
 * the process waited for a CPU: compare with the same window on an empty registry, measured in the same run.
 */
async function lagMs(base) {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: BASIC } });
  const text = await res.text();
  const read = (name) => {
    const m = new RegExp(`^orthanc_auth_nodejs_eventloop_lag_${name}_seconds\\s+([0-9.e+-]+)`, 'm').exec(text);
    return m ? Math.round(Number(m[1]) * 1000) : null;
  };
  return { max: read('max'), p99: read('p99') };
}
const lagText = (l) => `${l.max} ms (p99 ${l.p99} ms)`;

function load(url, request, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 50, pipelining: 1, duration, ...request }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
  });
}

// ------------------------------------------------------------------------------------------------ what is measured

/**
 * The listings an admin (or a script) can ask for, on the generated data. The newer API pages with a cursor and
 * counts only when asked; the original one pages with offset and always counts: both are given what they understand.
 */
function listVariants(p, cursorApi) {
  const mid = Math.floor(p.n / 2);
  const s = seed.share(p, mid);
  const uid = s.resources[0].dicomUid;
  const oid = s.resources[0].orthancId;
  // Cursors are opaque to clients; the benchmark builds them to jump deep without walking 20,000 pages.
  const cursor = (pk) => Buffer.from(JSON.stringify({ before: pk })).toString('base64url');
  const deep = (q, fraction) =>
    cursorApi
      ? `${q}&cursor=${cursor(Math.max(2, Math.floor(p.n * (1 - fraction))))}`
      : `${q}&offset=${Math.floor(p.n * fraction)}`;
  const v = [
    ['first page', '/shares?limit=50'],
    ['second page', cursorApi ? null : '/shares?limit=50&offset=50'],
    ['deep page (last 0.01%)', deep('/shares?limit=50', 0.9999)],
    ['middle page', deep('/shares?limit=50', 0.5)],
    ['study', `/shares?study=${uid}`],
    ['orthanc-id', `/shares?orthanc-id=${oid}`],
    ['study + active=true', `/shares?study=${uid}&active=true`],
    ['type (50%)', '/shares?type=stone-viewer-publication'],
    ['type (5%)', '/shares?type=volview-viewer-publication'],
    ['type (5%), deep', deep('/shares?type=volview-viewer-publication', 0.9)],
    ['active=true', '/shares?active=true'],
    ['active=true, deep', deep('/shares?active=true', 0.9)],
    ['active=false', '/shares?active=false'],
    ['active=false, deep', deep('/shares?active=false', 0.9)],
    ['creator (80%)', '/shares?creator=share-user'],
    ['creator (0.1%)', '/shares?creator=user-7'],
    ['creator (0.1%), deep', deep('/shares?creator=user-7', 0.9)],
    ['creator (0.1%) + active=false', '/shares?creator=user-7&active=false'],
    ['type (5%) + active=false', '/shares?type=volview-viewer-publication&active=false'],
    ['type + creator + active=true', '/shares?type=ohif-viewer-publication&creator=user-7&active=true'],
    ['limit=500', '/shares?limit=500'],
    ['count, no filter', '/shares?limit=1&count=true'],
    ['count, active=true', '/shares?limit=1&active=true&count=true'],
    ['count, type (5%) + active=false', '/shares?limit=1&type=volview-viewer-publication&active=false&count=true'],
    ['one share (GET /shares/:id)', `/shares/${s.id}`],
  ];
  return v.filter(([, q]) => q !== null).map(([name, q]) => ({ name, path: q }));
}

/** The listings run behind the validate load: the slowest kinds. */
const HEAVY = [
  'deep page (last 0.01%)',
  'middle page',
  'active=true, deep',
  'active=false, deep',
  'type (5%) + active=false',
  'creator (0.1%) + active=false',
  'count, active=true',
  'count, type (5%) + active=false',
  'study',
];

async function listingLoop(base, variants, stop) {
  const heavy = variants.filter((v) => HEAVY.includes(v.name));
  const times = [];
  let errors = 0;
  for (let k = 0; !stop.done; k++) {
    const r = await get(base, heavy[k % heavy.length].path);
    if (r.status !== 200) errors++;
    times.push(r.ms);
  }
  return { calls: times.length, medianMs: times.length ? median(times) : 0, errors };
}

async function measureEngine(o, engine) {
  const p = seed.plan(o.shares);
  const main = path.join(o.serviceRoot, 'dist/apps/auth-service/src/main.js');
  if (!existsSync(main)) throw new Error(`build the service first (npm run build in ${o.serviceRoot})`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-registry-bench-'));
  const port = await freePort();
  const env = serviceEnv({ port, dataDir, users: { [USER]: PASSWORD } });
  let db = null;
  let emptyDb = null;
  const sqlitePath = path.join(dataDir, 'shares.sqlite');
  if (engine === 'postgres') {
    db = await createDatabase(o.databaseUrl);
    env.DATABASE_URL = db.url;
  }
  const r = { engine, shares: o.shares, serviceRoot: o.serviceRoot };
  const base = `http://127.0.0.1:${port}`;
  let svc = null;
  try {
    // The schema: the one the service under test creates on an empty registry, or the original one (--upgrade).
    if (o.upgrade) await createSchemaV1(engine, sqlitePath, db?.url);
    else if (o.quick) await migrateWith(o.serviceRoot, storageOf(engine, db, sqlitePath));
    else {
      const first = await boot(main, env);
      await stopService(first.child);
    }
    process.stdout.write(`[${engine}] seeding ${o.shares} shares ... `);
    const t = Date.now();
    const seeded =
      engine === 'postgres' ? await seed.seedPostgres(db.url, o.shares) : seed.seedSqlite(sqlitePath, o.shares);
    r.seedMs = Date.now() - t;
    r.seeded = seeded;
    process.stdout.write(`${(r.seedMs / 1000).toFixed(1)} s (schema ${seeded.version})\n`);
    r.schemaSeeded = seeded.version;
    r.diskBytes = engine === 'postgres' ? await pgDiskBytes(db.url) : sqliteDiskBytes(sqlitePath);
    if (o.quick) {
      Object.assign(r, await registryPhase(o, engine, db, sqlitePath));
      return r;
    }

    // Start-up: the first start (which migrates with --upgrade), then three more, each after a start on an empty
    // registry (the same service and machine a moment apart: on a shared machine the difference is the registry's).
    const emptyEnv = { ...env, DATA_DIR: path.join(dataDir, 'empty') };
    if (engine === 'postgres') {
      emptyDb = await createDatabase(o.databaseUrl);
      emptyEnv.DATABASE_URL = emptyDb.url;
    }
    const starts = [];
    const emptyStarts = [];
    for (let k = 0; k < 4; k++) {
      if (k > 0) {
        const e = await boot(main, emptyEnv);
        emptyStarts.push(e.startupMs);
        await stopService(e.child);
      }
      const b = await boot(main, env);
      starts.push(b.startupMs);
      if (k < 3) await stopService(b.child);
      else svc = b.child;
    }
    r.firstStartMs = starts[0];
    r.startupMs = median(starts.slice(1));
    r.emptyStartupMs = median(emptyStarts);
    Object.assign(r, await registryPhase(o, engine, db, sqlitePath));
    process.stdout.write(
      `[${engine}] start-up ${r.startupMs} ms (first ${r.firstStartMs} ms), with an empty registry ${r.emptyStartupMs} ms\n`,
    );
    await sleep(1000);
    r.rssStartMb = rssMb(svc.pid);
    if (o.upgrade)
      r.diskBytesAfterUpgrade = engine === 'postgres' ? await pgDiskBytes(db.url) : sqliteDiskBytes(sqlitePath);

    // A share to validate (created through the API, so it is in the registry like any other).
    const created = await fetch(`${base}/tokens/stone-viewer-publication`, {
      method: 'PUT',
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'bench',
        type: 'stone-viewer-publication',
        resources: [{ 'dicom-uid': '1.2.3.4.5', 'orthanc-id': 'a-b-c-d-e', level: 'study' }],
        'validity-duration': 86400,
      }),
    }).then((res) => res.json());
    if (!created.token) throw new Error(`could not create a share: ${JSON.stringify(created)}`);
    const validate = {
      method: 'POST',
      headers: { authorization: BASIC, 'content-type': 'application/json', token: created.token },
      body: JSON.stringify({
        'dicom-uid': '1.2.3.4.5',
        'orthanc-id': 'a-b-c-d-e',
        level: 'study',
        method: 'get',
        'token-key': 'token',
      }),
    };

    // Every listing: one warm-up call, then LIST_CALLS timed calls.
    const probe = JSON.parse((await get(base, '/shares?limit=1')).text);
    r.cursorApi = Object.prototype.hasOwnProperty.call(probe, 'next-cursor');
    const variants = listVariants(p, r.cursorApi);
    r.lists = [];
    for (const v of variants) {
      const first = await get(base, v.path);
      const times = [];
      let status = first.status;
      let rows = null;
      for (let k = 0; k < LIST_CALLS; k++) {
        const res = await get(base, v.path);
        times.push(res.ms);
        if (res.status !== 200) status = res.status;
        try {
          const body = JSON.parse(res.text);
          rows = Array.isArray(body.shares) ? body.shares.length : 1;
        } catch {
          rows = null;
        }
      }
      r.lists.push({ name: v.name, path: v.path, status, rows, medianMs: median(times), maxMs: Math.max(...times) });
      process.stdout.write(
        `[${engine}] ${v.name}: ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)}, ${status}, ${rows} rows)\n`,
      );
    }

    // The event loop while the heaviest listings run one after the other (no other load).
    await lagMs(base);
    const stopLag = { done: false };
    const lagLoop = listingLoop(base, variants, stopLag);
    await sleep(5000);
    stopLag.done = true;
    r.listingAlone = await lagLoop;
    r.lagDuringListing = await lagMs(base);

    // validate alone, then with the heaviest listings running back to back beside it.
    const url = `${base}/tokens/validate`;
    await load(url, validate, 3);
    const alone = await load(url, validate, o.duration);
    const stop = { done: false };
    const loop = listingLoop(base, variants, stop);
    const during = await load(url, validate, o.duration);
    stop.done = true;
    const listing = await loop;
    r.validateAlone = {
      rps: Math.round(alone.requests.average),
      p50: alone.latency.p50,
      p99: alone.latency.p99,
      errors: alone.errors + alone.non2xx,
    };
    r.validateDuring = {
      rps: Math.round(during.requests.average),
      p50: during.latency.p50,
      p99: during.latency.p99,
      errors: during.errors + during.non2xx,
      listCalls: listing.calls,
      listMedianMs: listing.medianMs,
      listErrors: listing.errors,
    };
    process.stdout.write(
      `[${engine}] validate alone ${r.validateAlone.rps} req/s p99 ${r.validateAlone.p99} ms; during listing ${r.validateDuring.rps} req/s p99 ${r.validateDuring.p99} ms (${listing.calls} listings)\n`,
    );

    // Revocation resync: the longest event-loop stall over a window with no load (SQLite polls every second,
    // PostgreSQL resyncs every 30 s), then after the revocation listener's connection is cut (PostgreSQL).
    await lagMs(base);
    await sleep(o.resyncWait * 1000);
    r.lagResync = await lagMs(base);
    if (engine === 'postgres') {
      await withPg(db.url, (c) =>
        c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'orthanc-auth-revocations'`,
        ),
      );
      await sleep(8000);
      r.lagReconnect = await lagMs(base);
    }
    r.rssEndMb = rssMb(svc.pid);
    r.rssPeakMb = rssMb(svc.pid, 'VmHWM');
    process.stdout.write(
      `[${engine}] event loop: listing ${lagText(r.lagDuringListing)}, idle with resyncs ${lagText(r.lagResync)}${r.lagReconnect ? `, after reconnection ${lagText(r.lagReconnect)}` : ''}\n`,
    );
    // The control: the same idle window on an empty registry.
    await stopService(svc);
    svc = null;
    const control = await boot(main, emptyEnv);
    try {
      await lagMs(base);
      await sleep(o.resyncWait * 1000);
      r.lagIdleEmpty = await lagMs(base);
    } finally {
      await stopService(control.child);
    }
    process.stdout.write(`[${engine}] event loop, idle, empty registry: ${lagText(r.lagIdleEmpty)}\n`);
  } finally {
    if (svc) await stopService(svc);
    for (const d of [db, emptyDb]) {
      if (d) await d.drop().catch((err) => process.stderr.write(`could not drop ${d.name}: ${err.message}\n`));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return r;
}

/**
 * The registry's own work, apart from the rest of the service: the SharesService of the service under test (from its
 * dist/) in this otherwise idle process. Its onModuleInit (opening the storage, migrating, loading the revocation set,
 * listening) is what the registry adds to start-up; then its resyncs, the periodic one (what changed) and the full one
 * (PostgreSQL after a reconnection; the first version did it every 30 s), each timed with the longest event-loop
 * stall it caused (monitorEventLoopDelay, 1 ms resolution).
 */
async function registryFigures(root, storage) {
  const { SharesService } = require(path.join(root, 'dist/libs/shares/src/shares.service.js'));
  const { ShareTokenCodec } = require(path.join(root, 'dist/libs/tokens/src/codec/share-token-codec.js'));
  const { Logger } = require(require.resolve('@nestjs/common', { paths: [root] }));
  Logger.overrideLogger(false);
  const timed = async (fn) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    await sleep(3); // the monitor's timer is armed on the next turn of the loop
    const t = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    await sleep(5);
    h.disable();
    return { ms, stallMs: Math.max(0, h.max / 1e6 - 1) };
  };
  const runs = [];
  for (let k = 0; k < 3; k++) {
    const key = 'x'.repeat(32);
    // A build since issue 14 takes the codec TokensModule provides; an older one (a baseline) the two settings.
    const service =
      SharesService.length === 2
        ? new SharesService({ enabled: true, storage }, new ShareTokenCodec(key))
        : new SharesService({ enabled: true, storage }, { secretKey: key }, { previousSecretKeys: [] });
    try {
      const init = await timed(() => service.onModuleInit());
      const periodic = await timed(() => service.sync());
      const full = await timed(() => service.sync(true));
      runs.push({ init, periodic, full, revoked: service.revoked.size });
    } finally {
      await service.onApplicationShutdown();
    }
  }
  const med = (f) => median(runs.map(f));
  return {
    initMs: Math.round(med((x) => x.init.ms)),
    revoked: runs[0].revoked,
    periodicMs: med((x) => x.periodic.ms),
    periodicStallMs: med((x) => x.periodic.stallMs),
    fullMs: med((x) => x.full.ms),
    fullStallMs: med((x) => x.full.stallMs),
  };
}

const storageOf = (engine, db, sqlitePath) =>
  engine === 'postgres' ? { kind: 'postgres', url: db.url } : { kind: 'sqlite', path: sqlitePath };

/** The registry's figures in this process (registryFigures), printed. */
async function registryPhase(o, engine, db, sqlitePath) {
  const f = await registryFigures(o.serviceRoot, storageOf(engine, db, sqlitePath));
  process.stdout.write(
    `[${engine}] the registry alone: start-up ${f.initMs} ms, ${f.revoked} revocations in memory; ` +
      `periodic resync ${f.periodicMs.toFixed(1)} ms (longest stall ${f.periodicStallMs.toFixed(1)} ms), ` +
      `full resync ${f.fullMs.toFixed(0)} ms (longest stall ${f.fullStallMs.toFixed(1)} ms)\n`,
  );
  return { registry: f };
}

/** The schema of the service under test, created by its own store (--quick: no service is started). */
async function migrateWith(root, storage) {
  const { openShareStore } = require(path.join(root, 'dist/libs/shares/src/store/open-share-store.js'));
  const { Logger } = require(require.resolve('@nestjs/common', { paths: [root] }));
  Logger.overrideLogger(false);
  const store = await openShareStore(storage);
  await store.close();
}

// ------------------------------------------------------------------------------------------------ storage helpers

async function withPg(url, fn) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createDatabase(adminUrl) {
  const name = `orthanc_auth_bench_${randomBytes(5).toString('hex')}`;
  await withPg(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withPg(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

function sqliteDiskBytes(file) {
  let total = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) total += statSync(f).size;
  return total;
}

async function pgDiskBytes(url) {
  return withPg(url, async (c) => {
    const { rows } = await c.query(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c
       JOIN pg_namespace ns ON ns.oid = c.relnamespace
       WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'S') AND c.relname <> 'schema_migrations'`,
    );
    return Number(rows[0].n);
  });
}

/** The registry's first schema (schema_migrations version 1), as the original service created it. */
const SCHEMA_V1 = {
  sqlite: `
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
    CREATE TABLE shares (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, type TEXT NOT NULL, resources TEXT NOT NULL,
      creator_kind TEXT, creator_name TEXT, creator_user_id TEXT, created_at INTEGER, expires_at INTEGER, revoked_at INTEGER,
      revoked_by TEXT, revoked_seq INTEGER UNIQUE);
    CREATE INDEX shares_order ON shares (COALESCE(created_at, revoked_at));
    CREATE INDEX shares_creator_name ON shares (creator_name);
    CREATE INDEX shares_creator_user_id ON shares (creator_user_id);
    CREATE TABLE share_resources (share_id TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE, dicom_uid TEXT, orthanc_id TEXT);
    CREATE INDEX share_resources_share_id ON share_resources (share_id);
    CREATE INDEX share_resources_dicom_uid ON share_resources (dicom_uid);
    CREATE INDEX share_resources_orthanc_id ON share_resources (orthanc_id);
    INSERT INTO schema_migrations VALUES (1, 'shares', 0);`,
  postgres: `
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
    CREATE SEQUENCE shares_revoked_seq;
    CREATE TABLE shares (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, type TEXT NOT NULL, resources TEXT NOT NULL,
      creator_kind TEXT, creator_name TEXT, creator_user_id TEXT, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ,
      revoked_at TIMESTAMPTZ, revoked_by TEXT, revoked_seq BIGINT UNIQUE);
    CREATE INDEX shares_order ON shares ((COALESCE(created_at, revoked_at)));
    CREATE INDEX shares_creator_name ON shares (creator_name);
    CREATE INDEX shares_creator_user_id ON shares (creator_user_id);
    CREATE TABLE share_resources (share_id TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE, dicom_uid TEXT, orthanc_id TEXT);
    CREATE INDEX share_resources_share_id ON share_resources (share_id);
    CREATE INDEX share_resources_dicom_uid ON share_resources (dicom_uid);
    CREATE INDEX share_resources_orthanc_id ON share_resources (orthanc_id);
    INSERT INTO schema_migrations (version, name) VALUES (1, 'shares');`,
};

async function createSchemaV1(engine, sqlitePath, url) {
  if (engine === 'postgres') return withPg(url, (c) => c.query(SCHEMA_V1.postgres));
  const Database = require('better-sqlite3');
  const db = new Database(sqlitePath);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_V1.sqlite);
  db.close();
}

// ------------------------------------------------------------------------------------------------ the report

function report(o, results) {
  const cpus = os.cpus();
  const lines = [
    `# Share registry at ${o.shares.toLocaleString('en-US')} shares`,
    '',
    `Run: ${new Date().toISOString()} on ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(
        ' ',
      )}; service: ${path.relative(ROOT, o.serviceRoot) || '.'}${o.upgrade ? ' (registry seeded in schema 1, migrated by the first start)' : ''}.`,
    '',
    `| | ${results.map((r) => r.engine).join(' | ')} |`,
    `|---|${results.map(() => '---').join('|')}|`,
  ];
  const row = (label, f) => lines.push(`| ${label} | ${results.map((r) => f(r) ?? '').join(' | ')} |`);
  row('seeding (schema)', (r) => `${(r.seedMs / 1000).toFixed(1)} s (${r.schemaSeeded})`);
  row('disk per share', (r) => `${Math.round(r.diskBytes / r.shares)} B (${(r.diskBytes / 2 ** 20).toFixed(0)} MiB)`);
  if (o.upgrade) {
    row('disk per share after the upgrade', (r) => `${Math.round(r.diskBytesAfterUpgrade / r.shares)} B`);
    row('first start (migrates)', (r) => `${r.firstStartMs} ms`);
  }
  if (!o.quick) {
    row('service start-up (median of 3)', (r) => `${r.startupMs} ms`);
    row('service start-up, empty registry (median of 3, same run)', (r) => `${r.emptyStartupMs} ms`);
  }
  row("the registry's own start-up (its SharesService.onModuleInit, median of 3)", (r) => `${r.registry.initMs} ms`);
  row('revocations held in memory', (r) => String(r.registry.revoked));
  row(
    'periodic resync: time (longest event-loop stall)',
    (r) => `${r.registry.periodicMs.toFixed(1)} ms (${r.registry.periodicStallMs.toFixed(1)} ms)`,
  );
  row(
    'full resync: time (longest event-loop stall)',
    (r) => `${r.registry.fullMs.toFixed(0)} ms (${r.registry.fullStallMs.toFixed(1)} ms)`,
  );
  if (o.quick) return [...lines, ''].join('\n');
  row('RSS after start / end / peak', (r) => `${r.rssStartMb} / ${r.rssEndMb} / ${r.rssPeakMb} MB`);
  for (const name of results[0].lists.map((l) => l.name)) {
    row(`GET ${name}`, (r) => {
      const l = r.lists.find((x) => x.name === name);
      if (!l) return 'n/a';
      return `${l.medianMs.toFixed(1)} ms (max ${l.maxMs.toFixed(0)})${l.status !== 200 ? ` **${l.status}**` : ''}`;
    });
  }
  row('validate alone: req/s, p99', (r) => `${r.validateAlone.rps}, ${r.validateAlone.p99} ms`);
  row('validate during listing: req/s, p99', (r) => `${r.validateDuring.rps}, ${r.validateDuring.p99} ms`);
  row(
    'listings during that load (median)',
    (r) => `${r.validateDuring.listCalls} (${r.validateDuring.listMedianMs.toFixed(0)} ms)`,
  );
  row('event-loop delay max (p99): 5 s of listings', (r) => lagText(r.lagDuringListing));
  row(`event-loop delay max (p99): ${o.resyncWait} s idle, resyncs`, (r) => lagText(r.lagResync));
  row('event-loop delay max (p99): 8 s after a reconnection (full reload)', (r) =>
    r.lagReconnect ? lagText(r.lagReconnect) : '—',
  );
  row(`event-loop delay max (p99): ${o.resyncWait} s idle, empty registry (control)`, (r) => lagText(r.lagIdleEmpty));
  lines.push('', `Paths: ${results[0].lists.map((l) => `${l.name}: \`${l.path}\``).join('; ')}.`, '');
  return lines.join('\n');
}

async function main() {
  const o = options(process.argv.slice(2));
  const results = [];
  for (const engine of o.engines) results.push(await measureEngine(o, engine));
  const text = report(o, results);
  process.stdout.write(`\n${text}\n`);
  if (o.out) writeFileSync(o.out, text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
