'use strict';
/*
 * npm run soak — a load soak, not a benchmark: the built service (dist/, `npm run build` first; `npm run soak` does
 * it) under SOAK_CONNECTIONS (200) connections for SOAK_DURATION seconds (60), every connection cycling through a mix
 * of all the routes: share-link validation (granted, denied, tampered, malformed), decode, token creation, get-profile
 * (anonymous, a Keycloak RS256 token verified against a local issuer's JWKS, a forged token), the roles editor (GET
 * and PUT), the share registry, health, and a wrong password. Every answer is checked against what that request must
 * get (status, and the decision for validate and get-profile).
 *
 * Prints: requests, errors (connection errors and timeouts), 5xx, unexpected answers, status counts, requests/s,
 * latency p50/p99, and the service's RSS at start, middle and end (and its peak). Exits non-zero on any 5xx, error,
 * timeout or unexpected answer, or if the service is not healthy afterwards.
 *
 * Options (env): SOAK_DURATION (s, 60), SOAK_CONNECTIONS (200), SOAK_WORKERS (the service's WORKERS, default 1).
 */
const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { startIssuer } = require('./jwks-server');

const { ROOT, MAIN, SERVICE_NODE_FLAGS, sleep, freePort, rssMb, waitForHttp } = require('./process-tools');
const DURATION = Number(process.env.SOAK_DURATION || 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS || 200);
const WORKERS = process.env.SOAK_WORKERS || '1';
const BASIC = 'Basic ' + Buffer.from('soak-user:soak-password').toString('base64');
const WRONG = 'Basic ' + Buffer.from('soak-user:wrong').toString('base64');
const U1 = '1.2.840.113619.2.55.3.1';
const O1 = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';

const json = (method, pathName, body, headers = {}) => ({
  method,
  path: pathName,
  headers: { authorization: BASIC, 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The cycle every connection runs: [name, autocannon request, expected status, text the answer must contain]. */
function mix(token, accessToken, forgedAccessToken, roles) {
  const validate = (over = {}) => ({
    'dicom-uid': U1,
    'orthanc-id': O1,
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'server-id': null,
    ...over,
  });
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  const stone = {
    id: 'soak',
    resources: [{ 'dicom-uid': U1, 'orthanc-id': O1, level: 'study' }],
    type: 'stone-viewer-publication',
    'validity-duration': 3600,
  };
  return [
    ['validate granted (header)', json('POST', '/tokens/validate', validate(), { token }), 200, '"granted":true'],
    [
      'validate granted (chunk of the body)',
      json('POST', '/tokens/validate', validate({ 'token-value': `Bearer ${token}` })),
      200,
      '"granted":true',
    ],
    [
      'validate other study',
      json('POST', '/tokens/validate', validate({ 'dicom-uid': '1.2.3.999', 'orthanc-id': 'ffff' }), { token }),
      200,
      '"granted":false',
    ],
    [
      'validate delete',
      json('POST', '/tokens/validate', validate({ method: 'delete' }), { token }),
      200,
      '"granted":false',
    ],
    ['validate tampered', json('POST', '/tokens/validate', validate(), { token: tampered }), 200, '"granted":false'],
    ['validate malformed', json('POST', '/tokens/validate', { level: 'nope' }), 400, 'level'],
    [
      'decode',
      json('POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token }),
      200,
      '"error-code":null',
    ],
    ['decode tampered', json('POST', '/tokens/decode', { 'token-value': tampered }), 200, '"error-code":"invalid"'],
    ['create stone link', json('PUT', '/tokens/stone-viewer-publication', stone), 200, '"token"'],
    [
      'create instant link',
      json('PUT', '/tokens/viewer-instant-link', {
        id: null,
        resources: [],
        type: 'viewer-instant-link',
        'validity-duration': 60,
      }),
      200,
      '"token"',
    ],
    [
      'get-profile anonymous',
      json('POST', '/user/get-profile', { 'token-key': '', 'token-value': '' }),
      200,
      '"Anonymous"',
    ],
    [
      'get-profile Keycloak token',
      json('POST', '/user/get-profile', { 'token-key': 'token', 'token-value': accessToken }),
      200,
      '"user-id":"0b6c8a5e-bench-user"',
    ],
    [
      'get-profile forged token',
      json('POST', '/user/get-profile', { 'token-key': 'token', 'token-value': forgedAccessToken }),
      200,
      '"Anonymous"',
    ],
    [
      'GET /settings/roles',
      { method: 'GET', path: '/settings/roles', headers: { authorization: BASIC } },
      200,
      '"roles"',
    ],
    ['PUT /settings/roles', json('PUT', '/settings/roles', roles), 200, '"roles"'],
    ['GET /shares', { method: 'GET', path: '/shares?limit=5', headers: { authorization: BASIC } }, 200, '"shares"'],
    ['GET /health', { method: 'GET', path: '/health' }, 200, ''],
    [
      'wrong password',
      {
        ...json('POST', '/tokens/validate', validate()),
        headers: { authorization: WRONG, 'content-type': 'application/json' },
      },
      401,
      'Unauthorized',
    ],
  ];
}

async function main() {
  if (!existsSync(MAIN)) throw new Error('build first: npm run build (npm run soak does it)');
  const issuer = await startIssuer();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orthanc-auth-soak-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKERS,
      USERS: JSON.stringify({ 'soak-user': 'soak-password' }),
      SECRET_KEY: 'soak-secret-key-0123456789abcdef',
      DATA_DIR: dataDir,
      PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org/orthanc/',
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: `${issuer.issuer}/`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep only the tail of the service's output (shown if something goes wrong).
  let tail = '';
  const keep = (d) => {
    tail = (tail + d).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = signal || code;
  });

  try {
    await waitForHttp(`${base}/health`, 30000, 50);
    const created = await fetch(`${base}/tokens/stone-viewer-publication`, {
      method: 'PUT',
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'soak',
        resources: [{ 'dicom-uid': U1, 'orthanc-id': O1, level: 'study' }],
        type: 'stone-viewer-publication',
        'validity-duration': 86400,
      }),
    }).then((r) => r.json());
    if (!created.token) throw new Error(`could not create the soak token: ${JSON.stringify(created)}`);
    const roles = await fetch(`${base}/settings/roles`, { headers: { authorization: BASIC } }).then((r) => r.json());
    const [h, p] = issuer.accessToken.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), realm_access: { roles: ['admin-role'] } })).toString('base64url')}.${issuer.accessToken.split('.')[2]}`;
    const cycle = mix(created.token, issuer.accessToken, forged, roles);

    const unexpected = new Map();
    const requests = cycle.map(([name, req, status, text]) => ({
      ...req,
      onResponse: (code, body) => {
        if (code !== status || (text && !String(body).includes(text))) {
          const key = `${name}: ${code} ${String(body).slice(0, 160)}`;
          unexpected.set(key, (unexpected.get(key) || 0) + 1);
        }
      },
    }));

    const rss = { start: rssMb(child.pid) };
    process.stdout.write(
      `soak: ${CONNECTIONS} connections for ${DURATION} s against ${base} (WORKERS=${WORKERS}), ${cycle.length} requests per cycle\n`,
    );
    const middle = setTimeout(
      () => {
        rss.middle = rssMb(child.pid);
      },
      (DURATION * 1000) / 2,
    );
    const result = await new Promise((resolve, reject) => {
      autocannon({ url: base, connections: CONNECTIONS, duration: DURATION, requests, timeout: 10 }, (err, r) =>
        err ? reject(err) : resolve(r),
      );
    });
    clearTimeout(middle);
    rss.end = rssMb(child.pid);
    rss.peak = rssMb(child.pid, 'VmHWM');

    const statuses = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats || {})) statuses[code] = count;
    const fiveXx = Object.entries(statuses)
      .filter(([c]) => Number(c) >= 500)
      .reduce((a, [, n]) => a + n, 0);
    const unexpectedCount = [...unexpected.values()].reduce((a, n) => a + n, 0);
    const health = await fetch(`${base}/health`)
      .then((r) => r.status)
      .catch(() => 'unreachable');

    const lines = [
      `requests:   ${result.requests.total} (${Math.round(result.requests.average)}/s), ${(result.requests.total / cycle.length) | 0} cycles`,
      `errors:     ${result.errors} (timeouts ${result.timeouts})`,
      `5xx:        ${fiveXx}`,
      `unexpected: ${unexpectedCount}`,
      `statuses:   ${JSON.stringify(statuses)}`,
      `latency:    p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      `RSS (MB):   start ${rss.start}, middle ${rss.middle}, end ${rss.end}, peak ${rss.peak}`,
      `afterwards: /health ${health}, process ${exited === null ? 'alive' : `exited (${exited})`}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    for (const [key, n] of unexpected) process.stdout.write(`  unexpected x${n}: ${key}\n`);
    const failed =
      result.errors > 0 ||
      result.timeouts > 0 ||
      fiveXx > 0 ||
      unexpectedCount > 0 ||
      health !== 200 ||
      exited !== null;
    if (failed) {
      process.stdout.write(`SOAK FAILED\n--- service output (tail) ---\n${tail}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write('SOAK PASSED\n');
    }
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await issuer.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`soak: ${err.stack || err}\n`);
  process.exit(1);
});
