'use strict';
/*
 * npm run bench:guard — the CPU the write guard costs per call (docs/PROTOCOL.md section 12), measured two ways on the
 * built service:
 *
 * - through HTTP, as nginx asks it: the built service runs as a child process with its guard listener; N subrequests
 *   of each kind are sent (10 connections, as nginx's workers would) and the service process's own CPU time
 *   (user + system, /proc/<pid>/stat) over those N calls is divided by N. This is everything the service spends per
 *   call: HTTP parsing, routing, the decision, the answer.
 * - the decision alone, in this process: decideWriteGuard() with the service's TokensService, process.cpuUsage()
 *   over many calls.
 *
 * Options (env): GUARD_BENCH_CALLS (HTTP calls per kind, 20000), GUARD_BENCH_ITERATIONS (in-process, 200000).
 */
const { spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { generateKeyPairSync, sign } = require('node:crypto');
const autocannon = require('autocannon');
const { ROOT, MAIN, SERVICE_NODE_FLAGS, sleep, freePort, waitForHttp } = require('./process-tools');

const CALLS = Number(process.env.GUARD_BENCH_CALLS || 20000);
const ITERATIONS = Number(process.env.GUARD_BENCH_ITERATIONS || 200000);
const SECRET_KEY = 'bench-secret-key-0123456789abcdef';
const BASIC = 'Basic ' + Buffer.from('bench-user:bench-password').toString('base64');
const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function userToken() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid: 'k' })}.${part({ sub: 'doctor', exp: 4102444800 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

function load(url, headers, amount) {
  return new Promise((resolve, reject) =>
    autocannon({ url, headers, amount, connections: 10, pipelining: 1 }, (err, result) =>
      err ? reject(err) : resolve(result),
    ),
  );
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-bench-guard-'));
  const [port, guardPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      SECRET_KEY,
      USERS: JSON.stringify({ 'bench-user': 'bench-password' }),
      PORT: String(port),
      HOST: '127.0.0.1',
      WRITE_GUARD_PORT: String(guardPort),
      DATA_DIR: dataDir,
      SECRETS_DIR: path.join(dataDir, 'no-secrets'),
      LOG_LEVEL: 'warn',
      PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org/orthanc/',
    },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    const created = await fetch(`http://127.0.0.1:${port}/tokens/stone-viewer-publication`, {
      method: 'PUT',
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'bench',
        type: 'stone-viewer-publication',
        resources: [{ 'dicom-uid': '1.2.3', 'orthanc-id': A, level: 'study' }],
      }),
    });
    const answer = await created.json();
    if (created.status !== 200)
      throw new Error(`could not create a share token: ${created.status} ${JSON.stringify(answer)}`);
    const share = answer.token;
    const user = userToken();
    // What nginx forwards: the client's usual headers, its credential, and the guard's two headers.
    const browser = {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      accept: 'application/json, text/plain, */*',
      'accept-language': 'en-GB,en;q=0.9',
      'accept-encoding': 'gzip, deflate, br',
      referer: 'https://pacs.example.org/orthanc/ui/app/',
      'x-forwarded-for': '10.1.2.3',
    };
    const kinds = [
      ['write with a share token (403)', { token: share, 'x-original-method': 'DELETE' }, `/studies/${A}`],
      [
        'POST modify, share token in ?token= (403)',
        { 'x-original-method': 'POST' },
        `/studies/${A}/modify?token=${share}`,
      ],
      [
        "write with a user's bearer token (200)",
        { authorization: `Bearer ${user}`, 'x-original-method': 'DELETE' },
        `/studies/${A}`,
      ],
      [
        'write with an api-key (200)',
        { 'api-key': 'an-api-key-0123456789', 'x-original-method': 'PUT' },
        `/studies/${A}/metadata/1024`,
      ],
      [
        'read (200, nginx does not even ask)',
        { token: share, 'x-original-method': 'GET' },
        `/dicom-web/studies/1.2.3/series`,
      ],
    ];
    const url = `http://127.0.0.1:${guardPort}/write-guard`;
    const rows = [];
    for (const [name, headers, uri] of kinds) {
      const all = { ...browser, ...headers, 'x-original-uri': `/orthanc${uri}` };
      await load(url, all, Math.min(2000, CALLS)); // warm-up (JIT, caches)
      await sleep(200);
      const before = cpuSeconds(child.pid);
      const result = await load(url, all, CALLS);
      const cpu = cpuSeconds(child.pid) - before;
      const statuses = Object.entries(result.statusCodeStats || {})
        .map(([s, v]) => `${s}×${v.count}`)
        .join(' ');
      rows.push({
        name,
        statuses,
        usPerCall: (cpu / CALLS) * 1e6,
        rps: result.requests.average,
        p99: result.latency.p99,
      });
    }

    // The decision alone, in this process.
    const { ShareTokenCodec, TokensService, decideWriteGuard, loadTokensConfig } = require(
      path.join(ROOT, 'dist/libs/tokens/src'),
    );
    const tokens = new TokensService(new ShareTokenCodec(SECRET_KEY), loadTokensConfig({}));
    const isShareToken = (raw) => tokens.isShareToken(raw);
    const flat = (h) => Object.entries(h).flat();
    const decisions = [
      [
        'share-token write',
        { method: 'DELETE', uri: `/orthanc/studies/${A}`, rawHeaders: flat({ ...browser, token: share }) },
      ],
      [
        "user's bearer write",
        {
          method: 'DELETE',
          uri: `/orthanc/studies/${A}`,
          rawHeaders: flat({ ...browser, authorization: `Bearer ${user}` }),
        },
      ],
      [
        'read',
        {
          method: 'GET',
          uri: '/orthanc/dicom-web/studies/1.2.3/series',
          rawHeaders: flat({ ...browser, token: share }),
        },
      ],
    ];
    const inProcess = [];
    for (const [name, input] of decisions) {
      for (let i = 0; i < 10000; i++) decideWriteGuard(input, isShareToken);
      const start = process.cpuUsage();
      for (let i = 0; i < ITERATIONS; i++) decideWriteGuard(input, isShareToken);
      const used = process.cpuUsage(start);
      inProcess.push({ name, usPerCall: (used.user + used.system) / ITERATIONS });
    }

    const fmt = (n) => n.toFixed(n < 10 ? 2 : 1);
    process.stdout.write(
      `\nwrite guard: CPU per call (${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)})\n` +
        `  through HTTP, the service process's CPU over ${CALLS} calls each:\n` +
        rows
          .map(
            (r) =>
              `    ${r.name.padEnd(44)} ${fmt(r.usPerCall).padStart(7)} µs/call  (${r.statuses}; ${Math.round(r.rps)} req/s, p99 ${r.p99} ms)`,
          )
          .join('\n') +
        `\n  the decision alone (decideWriteGuard), ${ITERATIONS} calls each:\n` +
        inProcess.map((r) => `    ${r.name.padEnd(44)} ${fmt(r.usPerCall).padStart(7)} µs/call`).join('\n') +
        '\n',
    );
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
