'use strict';
/*
 * npm run bench — loads the built service and, in the same run, a bare node:http server (the ceiling), with the
 * same tool (autocannon) and settings, and prints requests/s, p50/p99 latency, the ratio to the ceiling, peak RSS
 * and the start-up time; then writes bench/RESULTS.md.
 *
 * Options (env): BENCH_DURATION (s per round, 8), BENCH_ROUNDS (3), BENCH_WARMUP (s, 3), BENCH_CONNECTIONS (50),
 * BENCH_WORKERS (list of WORKERS values to run the service with, default "1,auto"), BENCH_SCENARIOS (names, or
 * prefixes: "validate granted,get-profile anonymous"), BENCH_OUT (the results file, default bench/RESULTS.md).
 * BENCH_MAIN: the entry point to run (default dist/.../main.js, the bundle; main.unbundled.js is tsc's output as is).
 * BENCH_STARTS (5): start-ups measured (one after another, each to its first /health answer) for the start-up median.
 * BENCH_PAIRED=1: each round of a scenario is preceded by a round on the ceiling, and the ratio is the median of the
 * rounds' ratios: on a machine shared with other work, load that comes and goes then hits both sides of a ratio.
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, writeFileSync, existsSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startIssuer } = require('./jwks-server');

const {
  MAIN: BUILT_MAIN,
  SERVICE_NODE_FLAGS,
  serviceEnv,
  sleep,
  freePort,
  rssMb,
  cpuMs,
  waitForHttp,
} = require('./process-tools');
const MAIN = process.env.BENCH_MAIN ? path.resolve(process.env.BENCH_MAIN) : BUILT_MAIN;
const STARTS = Number(process.env.BENCH_STARTS || 5);
const DURATION = Number(process.env.BENCH_DURATION || 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const WARMUP = Number(process.env.BENCH_WARMUP || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
// A setting ending in "-noregistry" runs the validate scenarios with the share registry off (ENABLE_SHARES_REGISTRY=
// false), the figure the registry's cost is judged against.
const WORKER_SETTINGS = (process.env.BENCH_WORKERS || '1,auto,1-noregistry').split(',');
const ONLY = process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',') : null;
const OUT = process.env.BENCH_OUT || path.join(__dirname, 'RESULTS.md');
const PAIRED = process.env.BENCH_PAIRED === '1';
const BASIC = 'Basic ' + Buffer.from('bench-user:bench-password').toString('base64');
const U1 = '1.2.840.113619.2.55.3.1';
const O1 = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';

/** The process tree's peak resident memory, in MB. */
const peakRssMb = (pid) => rssMb(pid, 'VmHWM');

function startChild(args, env) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  child.logText = () => log;
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

function load(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, ...opts }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One round; with the server's pid, also the CPU time it spent per request, in µs. */
async function round(url, request, pid) {
  const cpuBefore = pid ? cpuMs(pid) : null;
  const r = await load({ url, duration: DURATION, ...request });
  const cpuAfter = pid ? cpuMs(pid) : null;
  return {
    cpuUs: cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1000) / r.requests.total : null,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

/**
 * `paired` ({url, request, pid} of the ceiling): a ceiling round before each round, and the medians of the ratios,
 * of throughput and of CPU time per request (the ceiling's over the server's: the share of the ceiling's efficiency).
 */
async function measure(url, request, pid, paired) {
  await load({ url, duration: WARMUP, ...request });
  if (paired) await load({ url: paired.url, duration: WARMUP, ...paired.request });
  const rounds = [];
  const ratios = [];
  const cpuRatios = [];
  for (let i = 0; i < ROUNDS; i++) {
    const ceilingRound = paired ? await round(paired.url, paired.request, paired.pid) : null;
    const r = await round(url, request, pid);
    rounds.push(r);
    if (ceilingRound) ratios.push(r.rps / ceilingRound.rps);
    if (ceilingRound?.cpuUs && r.cpuUs) cpuRatios.push(ceilingRound.cpuUs / r.cpuUs);
  }
  return {
    ...(paired ? { ratio: median(ratios), ratios } : {}),
    ...(cpuRatios.length ? { cpuRatio: median(cpuRatios), cpuRatios } : {}),
    cpuUs: rounds.every((r) => r.cpuUs !== null) ? Math.round(median(rounds.map((r) => r.cpuUs))) : null,
    rps: Math.round(median(rounds.map((r) => r.rps))),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    requests: rounds.reduce((a, r) => a + r.total, 0),
  };
}

const json = (body) => ({
  method: 'POST',
  headers: { authorization: BASIC, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function scenarios(base, issuer) {
  const created = await fetch(`${base}/tokens/stone-viewer-publication`, {
    method: 'PUT',
    headers: { authorization: BASIC, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'bench',
      resources: [{ 'dicom-uid': U1, 'orthanc-id': O1, level: 'study' }],
      type: 'stone-viewer-publication',
      'validity-duration': 86400,
    }),
  }).then((r) => r.json());
  const token = created.token;
  if (!token) throw new Error(`could not create the bench token: ${JSON.stringify(created)}`);
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  const validate = (t, over = {}) => ({
    'dicom-uid': U1,
    'orthanc-id': O1,
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'server-id': null,
    ...over,
    ...(t ? {} : {}),
  });
  const withToken = (req, t) => ({ ...req, headers: { ...req.headers, token: t } });
  return {
    'validate granted': {
      path: '/tokens/validate',
      request: withToken(json(validate()), token),
      expect: '"granted":true',
    },
    'validate denied (other study)': {
      path: '/tokens/validate',
      request: withToken(json(validate(null, { 'dicom-uid': '1.2.3.999', 'orthanc-id': 'ffffffff' })), token),
      expect: '"granted":false',
    },
    'validate tampered token': {
      path: '/tokens/validate',
      request: withToken(json(validate()), tampered),
      expect: '"granted":false',
    },
    'get-profile anonymous': {
      path: '/user/get-profile',
      request: json({ 'token-key': '', 'token-value': '' }),
      expect: '"name"',
    },
    'get-profile RS256 (JWKS cached)': {
      path: '/user/get-profile',
      request: json({ 'token-key': 'token', 'token-value': issuer.accessToken, 'server-id': null }),
      expect: '"permissions":["view"',
    },
    'create stone link': {
      path: '/tokens/stone-viewer-publication',
      request: {
        ...json({ id: 'b', resources: [{ 'dicom-uid': U1, level: 'study' }], type: 'stone-viewer-publication' }),
        method: 'PUT',
      },
      expect: '"token"',
    },
  };
}

async function checkOnce(base, s) {
  const res = await fetch(base + s.path, {
    method: s.request.method,
    headers: s.request.headers,
    body: s.request.body,
  });
  const text = await res.text();
  return res.status === 200 && text.includes(s.expect) ? null : `${res.status} ${text.slice(0, 200)}`;
}

const loadAverage = () => os.loadavg()[0].toFixed(1);

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function main() {
  if (!existsSync(MAIN)) throw new Error('build first: npm run build');
  const issuer = await startIssuer();
  const results = [];

  // The ceiling, measured with the body and headers of the main scenario.
  const ceilingPort = await freePort();
  const ceiling = startChild([path.join(__dirname, 'ceiling-server.js')], {
    ...process.env,
    PORT: String(ceilingPort),
  });
  await waitForHttp(`http://127.0.0.1:${ceilingPort}/`);
  const ceilingBody = json({
    'dicom-uid': U1,
    'orthanc-id': O1,
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'server-id': null,
  });
  ceilingBody.headers.token = 'x'.repeat(420);
  process.stdout.write('ceiling (bare node:http) ... ');
  const ceil = await measure(`http://127.0.0.1:${ceilingPort}/`, ceilingBody, ceiling.pid);
  ceil.rss = peakRssMb(ceiling.pid);
  process.stdout.write(`${ceil.rps} req/s, ${ceil.cpuUs} µs CPU/request, load average ${loadAverage()}\n`);
  const pairedWith = PAIRED
    ? { url: `http://127.0.0.1:${ceilingPort}/`, request: ceilingBody, pid: ceiling.pid }
    : null;
  if (!PAIRED) await stopChild(ceiling);

  for (const workers of WORKER_SETTINGS) {
    const noRegistry = workers.endsWith('-noregistry');
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-bench-'));
    const env = serviceEnv(
      { port, dataDir },
      {
        WORKERS: workers.replace('-noregistry', ''),
        ENABLE_SHARES_REGISTRY: noRegistry ? 'false' : 'true',
        ENABLE_KEYCLOAK: 'true',
        KEYCLOAK_URI: `${issuer.issuer}/`,
      },
    );
    // Start-up: STARTS starts one after another (the last one is measured below), each to its first /health answer.
    const startups = [];
    let svc;
    for (let i = 0; i < STARTS; i++) {
      if (svc) await stopChild(svc);
      const started = Date.now();
      svc = startChild([...SERVICE_NODE_FLAGS, MAIN], env);
      try {
        await waitForHttp(`http://127.0.0.1:${port}/health`, 30000, 5);
        startups.push(Date.now() - started);
      } catch (err) {
        await stopChild(svc);
        await stopChild(ceiling);
        throw new Error(`the service did not start: ${err.message}\n${svc.logText()}`, { cause: err });
      }
    }
    const startupMs = median(startups);
    await sleep(2000);
    const idleRss = rssMb(svc.pid);
    process.stdout.write(
      `WORKERS=${workers}: start-up ${startups.join(', ')} ms (median ${startupMs}), idle RSS ${idleRss} MB, load average ${loadAverage()}\n`,
    );
    const base = `http://127.0.0.1:${port}`;
    const all = await scenarios(base, issuer);
    for (const [name, s] of Object.entries(all)) {
      if (ONLY && !ONLY.some((o) => name.startsWith(o))) continue;
      if (noRegistry && !name.startsWith('validate')) continue;
      const problem = await checkOnce(base, s);
      if (problem) {
        results.push({ workers, name, unavailable: problem });
        process.stdout.write(`WORKERS=${workers} ${name}: not measured (${problem})\n`);
        continue;
      }
      process.stdout.write(`WORKERS=${workers} ${name} ... `);
      const r = await measure(base + s.path, s.request, svc.pid, pairedWith);
      results.push({ workers, name, ...r });
      const pct = (xs) => xs.map((x) => `${(100 * x).toFixed(0)}%`).join(' ');
      const paired = r.ratio ? `; of the ceiling: req/s ${pct(r.ratios)}` : '';
      const cpu = r.cpuRatio ? `, CPU/request ${pct(r.cpuRatios)}` : '';
      process.stdout.write(
        `${r.rps} req/s, p99 ${r.p99} ms, ${r.cpuUs} µs CPU/request${paired}${cpu}, load average ${loadAverage()}\n`,
      );
    }
    const rss = peakRssMb(svc.pid);
    results.push({ workers, name: '(process)', rss, idleRss, loadedRss: rssMb(svc.pid), startupMs, startups });
    await stopChild(svc);
  }
  await issuer.close();
  await stopChild(ceiling);

  const rows = results
    .filter((r) => r.name !== '(process)')
    .map((r) =>
      r.unavailable
        ? `| ${r.workers} | ${r.name} | not measured: ${r.unavailable.replace(/\|/g, '/')} | | | | | | |`
        : `| ${r.workers} | ${r.name} | ${r.rps} | ${r.p50} | ${r.p99} | ${(100 * (r.ratio ?? r.rps / ceil.rps)).toFixed(0)}% | ${r.cpuUs ?? '?'} | ${r.cpuUs ? `${(100 * (r.cpuRatio ?? ceil.cpuUs / r.cpuUs)).toFixed(0)}%` : '?'} | ${r.errors + r.non2xx} |`,
    );
  const procs = results
    .filter((r) => r.name === '(process)')
    .map(
      (r) =>
        `| ${r.workers} | ${r.idleRss} MB | ${r.loadedRss} MB | ${r.rss} MB | ${r.startupMs} ms (${r.startups.join(', ')}) |`,
    );
  const report = [
    '# Benchmark results',
    '',
    `Run: ${new Date().toISOString()} on ${machine()}, ${path.relative(path.join(__dirname, '..'), MAIN)}; load average at the end ${loadAverage()}.`,
    `Tool: autocannon in the benchmark process (the same machine, so it takes CPU from the server as it does from the ceiling), ${CONNECTIONS} connections, ${WARMUP} s warm-up, median of ${ROUNDS} rounds of ${DURATION} s.`,
    `Ceiling: a bare node:http server that parses the JSON body and answers a constant JSON: **${ceil.rps} req/s**, p50 ${ceil.p50} ms, p99 ${ceil.p99} ms, ${ceil.cpuUs} µs CPU/request, peak RSS ${ceil.rss} MB.`,
    "CPU µs/request: the server processes' user + system time over the requests answered (/proc, 10 ms ticks); \"of ceiling (CPU)\" is the ceiling's CPU time per request over the scenario's, less sensitive than req/s to other work on the machine.",
    ...(PAIRED
      ? [
          'Paired: each round of a scenario followed a round on the ceiling; "of ceiling" is the median of the rounds\' ratios.',
        ]
      : []),
    '',
    '| WORKERS | scenario | req/s | p50 ms | p99 ms | of ceiling | CPU µs/request | of ceiling (CPU) | errors + non-2xx |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| WORKERS | RSS at idle | RSS after the scenarios | peak RSS (all processes) | start-up to first /health: median (each) |',
    '|---|---|---|---|---|',
    ...procs,
    '',
  ].join('\n');
  process.stdout.write('\n' + report + '\n');
  writeFileSync(OUT, report);
}

// `npm run bench -- --registry 1000000`: the share registry at scale instead (bench/registry.js).
if (process.argv.slice(2).includes('--registry')) {
  require('./registry');
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
