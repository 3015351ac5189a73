'use strict';
/*
 * npm run bench:unlock — what a burst of wrong passwords on protected links costs the rest of the service (issue 23).
 *
 * The built service runs as in production (one process, SQLite registry, SHARE_TRUSTED_PROXIES=127.0.0.1 so that
 * each guess may come from an address of its own through X-Forwarded-For). A probe calls an unrelated route at a
 * steady pace (one request at a time per probe connection): POST /tokens/validate (the plugin's hot route) and
 * PUT /tokens/... (a link creation: a registry write, what took 10.8 s during a burst before). Its p50/p99 are taken
 * alone, then while BURST (1000) wrong guesses are sent all at once, from BURST distinct addresses, spread over LINKS
 * protected links (so that the per-link ceilings let as many as possible reach the password check). Printed: each
 * route's p50/p99 alone and during the burst, their ratio (the goal: p99 within 3×), the burst's answers by status
 * (403 tried and wrong, 429 refused by a limit before any scrypt, 503 refused by the full scrypt gate) and how long
 * it took. A last round sends as many requests for the page's stylesheet (no work at all): what any burst of that
 * size costs on the same machine, to tell the HTTP cost from the password checks'.
 *
 * Options (env): BENCH_UNLOCK_BURST (1000), BENCH_UNLOCK_LINKS (10), BENCH_UNLOCK_PROBE_MS (baseline length, 8000),
 * BENCH_UNLOCK_ROUNDS (3: bursts, each measured on its own; the figures printed are per round).
 */
const { spawn } = require('node:child_process');
const { isMainThread, parentPort, Worker, workerData } = require('node:worker_threads');
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, MAIN, SERVICE_NODE_FLAGS, serviceEnv, sleep, waitForHttp } = require('./process-tools');

const BURST = Number(process.env.BENCH_UNLOCK_BURST || 1000);
const LINKS = Number(process.env.BENCH_UNLOCK_LINKS || 10);
const PROBE_MS = Number(process.env.BENCH_UNLOCK_PROBE_MS || 8000);
const ROUNDS = Number(process.env.BENCH_UNLOCK_ROUNDS || 3);
const BASIC = 'Basic ' + Buffer.from('bench-user:bench-password').toString('base64');
const STUDY = { 'dicom-uid': '1.2.840.113619.2.55.3.1', 'orthanc-id': 'a2b080ed-88af58ec', level: 'study' };

const pct = (xs, p) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function json(base, method, route, body) {
  const res = await fetch(base + route, {
    method,
    headers: { authorization: BASIC, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const createLink = (base, extra = {}) =>
  json(base, 'PUT', '/tokens/stone-viewer-publication', {
    resources: [STUDY],
    type: 'stone-viewer-publication',
    'validity-duration': 3600,
    ...extra,
  });

/** The unrelated routes the probe calls, each timed. */
function probes(base, validToken) {
  return {
    validate: () =>
      json(base, 'POST', '/tokens/validate', {
        ...STUDY,
        method: 'get',
        'token-key': 'token',
        'token-value': validToken,
      }),
    create: () => createLink(base),
  };
}

/** Calls each probe route in turn, one at a time, until `until()` says stop; answers the times per route. */
async function probe(routes, until) {
  const times = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
  while (!until()) {
    for (const [name, call] of Object.entries(routes)) {
      const t = performance.now();
      const res = await call();
      if (res.status >= 500) throw new Error(`${name} answered ${res.status}`);
      times[name].push(performance.now() - t);
    }
  }
  return times;
}

/** The control: as many requests at once that cost the service nothing (the page's stylesheet). */
async function control(page, i) {
  const res = await fetch(`${page}style.css`, { headers: { 'x-forwarded-for': `10.0.${(i >> 8) & 255}.${i & 255}` } });
  await res.arrayBuffer();
  return res.status;
}

/** One wrong guess through the page's form, from its own address (X-Forwarded-For from the trusted proxy). */
async function guess(page, link, i) {
  if (link === null) return control(page, i);
  const res = await fetch(`${page}unlock`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    },
    body: new URLSearchParams({ token: link.token, form: link.form, password: `wrong guess ${i}` }).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

async function main() {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-bench-unlock-'));
  const env = serviceEnv(
    { port, dataDir, logLevel: 'error' },
    {
      PUBLIC_SHARE_PAGE_ROOT: 'http://localhost/share/',
      SHARE_TRUSTED_PROXIES: '127.0.0.1',
      // Link creations are the probe: the creation throttle is not what is measured.
      TOKEN_CREATION_LIMIT_BASIC: '0',
    },
  );
  const svc = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  svc.stdout.on('data', (d) => (log += d));
  svc.stderr.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const page = `${base}/share/`;
  try {
    await waitForHttp(`${base}/health`, 60_000);
    const plain = await createLink(base);
    if (plain.status !== 200)
      throw new Error(`creating a link answered ${plain.status}: ${JSON.stringify(plain.body)}`);
    const routes = probes(base, plain.body.token);
    console.log(`share unlock bench: ${BURST} wrong guesses at once from ${BURST} addresses over ${LINKS} links`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);
    console.log('');
    console.log(
      '| round | route | p50 alone | p99 alone | p50 burst | p99 burst | p99 ratio | burst answers | burst ms |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (let round = 1; round <= ROUNDS + 1; round++) {
      // The last round is the control: BURST requests for the stylesheet, what any burst costs the same routes.
      const isControl = round > ROUNDS;
      const links = [];
      for (let l = 0; l < (isControl ? 0 : LINKS); l++) {
        const created = await createLink(base, { password: `the right password ${round}-${l}` });
        if (created.status !== 200) throw new Error(`creating a protected link answered ${created.status}`);
        const html = await (await fetch(`${page}?token=${created.body.token}`)).text();
        links.push({ token: created.body.token, form: /name="form" value="([^"]+)"/.exec(html)[1] });
      }
      // Alone.
      const stopAt = performance.now() + PROBE_MS;
      const alone = await probe(routes, () => performance.now() > stopAt);
      // During the burst: every guess sent at once, the probe running until the last one is answered.
      let done = false;
      const t0 = performance.now();
      const offset = round * BURST;
      // Sent from a thread of its own: the probe's timings are not those of the burst's client.
      const burst = new Promise((resolve, reject) => {
        const w = new Worker(__filename, {
          workerData: { page, links: isControl ? [null] : links, offset, burst: BURST },
        });
        w.once('message', resolve);
        w.once('error', reject);
      }).finally(() => (done = true));
      const during = await probe(routes, () => done);
      const statuses = await burst;
      const burstMs = Math.round(performance.now() - t0);
      const counts = {};
      for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      const answers = Object.entries(counts)
        .map(([s, n]) => `${n}×${s}`)
        .join(' ');
      for (const name of Object.keys(routes)) {
        const a50 = pct(alone[name], 50);
        const a99 = pct(alone[name], 99);
        const b50 = pct(during[name], 50);
        const b99 = pct(during[name], 99);
        console.log(
          `| ${isControl ? 'control' : round} | ${name} (${during[name].length} calls) | ${a50.toFixed(1)} ms | ${a99.toFixed(1)} ms | ` +
            `${b50.toFixed(1)} ms | ${b99.toFixed(1)} ms | ${(b99 / a99).toFixed(2)}× | ${answers} | ${burstMs} |`,
        );
      }
      await sleep(500);
    }
  } catch (err) {
    console.error(log);
    throw err;
  } finally {
    svc.kill('SIGTERM');
    await Promise.race([new Promise((r) => svc.once('exit', r)), sleep(10_000)]);
    if (svc.exitCode === null && svc.signalCode === null) svc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  const { page, links, offset, burst } = workerData;
  void Promise.all(Array.from({ length: burst }, (_, i) => guess(page, links[i % links.length], offset + i))).then(
    (statuses) => parentPort.postMessage(statuses),
  );
}
