// The checks of `npm run test:docker` (test/docker/run.sh builds the image and starts the engine first): the image
// alone, then the basic-auth setup started whole with stand-in images. Every container, volume and network made here
// carries the label orthanc-auth-docker-test or a compose project listed in $OA_RUN/compose-projects: run.sh removes
// them on exit, whatever happens here. Counts go back to run.sh through $OA_RUN/counts.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RUN = process.env.OA_RUN;
const IMAGE = process.env.OA_IMAGE;
const LABEL = 'orthanc-auth-docker-test';
let [passed, failed] = readFileSync(join(RUN, 'counts'), 'utf8').trim().split(' ').map(Number);
const save = () => writeFileSync(join(RUN, 'counts'), `${passed} ${failed}\n`);
const check = (ok, name, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${detail && !ok ? `: ${detail}` : ''}`);
  save();
  return ok;
};
/** A check not run here, said so in the output and counted apart (run.sh's closing line: `, N skipped`). */
const skip = (name, why) => {
  const f = join(RUN, 'skipped');
  const n = existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0;
  writeFileSync(f, String(n + 1));
  console.log(`  SKIP ${name}: ${why}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** docker with arguments; throws with its output when it fails. */
function docker(...args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}
function dockerStatus(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Polls until fn returns a truthy value or the deadline passes (then returns the last value). */
async function until(fn, seconds, everyMs = 1000) {
  const end = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch {
      last = undefined;
    }
    await sleep(everyMs);
  }
  return last;
}

async function http(url, { method = 'GET', headers = {}, body, auth } = {}) {
  const h = { ...headers };
  if (auth) h.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  if (body !== undefined && typeof body !== 'string') {
    h['content-type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// --- the image alone ---------------------------------------------------------------------------------------------------
const SHUTDOWN_TIMEOUT = 10;
const secrets = join(RUN, 'secrets');
mkdirSync(secrets, { recursive: true });
const password = randomBytes(12).toString('hex');
writeFileSync(join(secrets, 'USERS'), JSON.stringify({ 'share-user': password }));
writeFileSync(join(secrets, 'SECRET_KEY'), randomBytes(32).toString('hex'));
for (const f of ['USERS', 'SECRET_KEY']) chmodSync(join(secrets, f), 0o644);
chmodSync(secrets, 0o755);
const VOLUME = 'oa-test-auth-data';

function runService() {
  return docker(
    'run',
    '-d',
    '--name',
    'oa-test-auth',
    '--label',
    LABEL,
    // The root filesystem read-only: the service writes nowhere but /data.
    '--read-only',
    '-v',
    `${VOLUME}:/data`,
    '-v',
    `${secrets}:/run/secrets:ro`,
    '-e',
    'PUBLIC_ORTHANC_ROOT=http://localhost:8042/',
    '-e',
    `SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT}`,
    // The image's own HEALTHCHECK command, probed more often than its 30 s so that the test waits less.
    '--health-interval',
    '2s',
    '-p',
    '127.0.0.1::8000',
    IMAGE,
  );
}
async function serviceUp() {
  const health = await until(
    () => docker('inspect', '-f', '{{.State.Health.Status}}', 'oa-test-auth') === 'healthy',
    120,
  );
  const port = docker('port', 'oa-test-auth', '8000/tcp').split('\n')[0].split(':').pop();
  return { healthy: !!health, base: `http://127.0.0.1:${port}` };
}

async function imageChecks() {
  console.log('-- the image');
  docker('volume', 'create', '--label', LABEL, VOLUME);
  runService();
  const { healthy, base } = await serviceUp();
  if (
    !check(
      healthy,
      'healthy through its own HEALTHCHECK (read-only root filesystem, /data a volume)',
      docker('logs', '--tail', '20', 'oa-test-auth'),
    )
  )
    return;

  const user = docker('inspect', '-f', '{{.Config.User}}', 'oa-test-auth');
  const uids = docker('exec', 'oa-test-auth', 'sh', '-c', "grep '^Uid:' /proc/1/status");
  check(
    user === 'node' && /^Uid:\s+1000\s+1000\s+1000\s+1000$/.test(uids),
    'runs as non-root (node, uid 1000)',
    `${user} ${uids}`,
  );

  // Which paths of the image its user may write (the image's own modes, root filesystem not read-only).
  const writable = docker(
    'run',
    '--rm',
    '--label',
    LABEL,
    '--entrypoint',
    'sh',
    IMAGE,
    '-c',
    'find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -writable -print 2>/dev/null; true',
  )
    .split('\n')
    .filter(Boolean);
  const scratch = /^\/(tmp|var\/tmp|run\/lock|var\/lock|dev\/shm|home\/node)(\/|$)/;
  const unexpected = writable.filter((p) => !scratch.test(p) && !/^\/data(\/|$)/.test(p));
  check(
    unexpected.length === 0 && writable.some((p) => p === '/data'),
    '/data the only writable path for its user (besides the sticky scratch folders /tmp, /var/tmp, /run/lock and its home)',
    unexpected.slice(0, 10).join(' '),
  );

  const env = docker('inspect', '-f', '{{json .Config.Env}}', 'oa-test-auth');
  const created = await http(`${base}/tokens/stone-viewer-publication`, {
    method: 'PUT',
    auth: `share-user:${password}`,
    body: {
      id: 'docker-test',
      resources: [{ 'dicom-uid': '1.2.3.4', level: 'study' }],
      type: 'stone-viewer-publication',
      'expiration-date': null,
    },
  });
  const wrong = await http(`${base}/tokens/stone-viewer-publication`, {
    method: 'PUT',
    auth: 'share-user:wrong',
    body: {},
  });
  check(
    created.status === 200 && !!created.json?.token && wrong.status === 401 && !env.includes(password),
    'secrets read from files (/run/secrets/USERS, SECRET_KEY), none in its environment',
    `${created.status} ${wrong.status}`,
  );
  const token = created.json?.token;
  const shareId = token ? JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).share_id : undefined;

  const t0 = Date.now();
  dockerStatus('stop', '-t', String(SHUTDOWN_TIMEOUT + 20), 'oa-test-auth');
  const stopSeconds = (Date.now() - t0) / 1000;
  const exit = docker('inspect', '-f', '{{.State.ExitCode}}', 'oa-test-auth');
  check(
    exit === '0' && stopSeconds <= SHUTDOWN_TIMEOUT,
    `docker stop: exit 0 within SHUTDOWN_TIMEOUT (${stopSeconds.toFixed(1)} s, exit ${exit})`,
  );

  docker('rm', '-f', 'oa-test-auth');
  runService();
  const again = await serviceUp();
  const validate = () =>
    http(`${again.base}/tokens/validate`, {
      method: 'POST',
      auth: `share-user:${password}`,
      headers: { token },
      body: { 'dicom-uid': '1.2.3.4', level: 'study', method: 'get', 'token-key': 'token' },
    });
  const shown = await http(`${again.base}/shares/${shareId}`, { auth: `share-user:${password}` });
  const granted = await validate();
  check(
    again.healthy && shown.status === 200 && shown.json?.id === shareId && granted.json?.granted === true,
    'a share link survives re-creating the container (same /data volume)',
    `${shown.status} ${granted.text}`,
  );
  const revoked = await http(`${again.base}/shares/${shareId}`, { method: 'DELETE', auth: `share-user:${password}` });
  docker('rm', '-f', 'oa-test-auth');
  runService();
  const third = await serviceUp();
  const refused = await http(`${third.base}/tokens/validate`, {
    method: 'POST',
    auth: `share-user:${password}`,
    headers: { token },
    body: { 'dicom-uid': '1.2.3.4', level: 'study', method: 'get', 'token-key': 'token' },
  });
  check(
    revoked.status === 200 && refused.json?.granted === false,
    'its revocation survives re-creating the container too',
    refused.text,
  );
  const cli = dockerStatus('exec', 'oa-test-auth', 'npm', 'run', '--silent', 'shares', '--', 'list');
  check(
    cli.status === 0 && cli.out.includes(shareId),
    "README's `npm run shares -- list` works in the container",
    cli.out.slice(0, 300),
  );
  docker('rm', '-f', 'oa-test-auth');
}

try {
  await imageChecks();
} catch (e) {
  check(false, 'image checks', String(e?.stderr ?? e?.message ?? e).slice(0, 500));
}
try {
  const { stackChecks } = await import('./stack.mjs');
  await stackChecks({ check, skip, docker, dockerStatus, http, until, RUN, IMAGE, LABEL, appendFileSync });
} catch (e) {
  check(false, 'basic-auth setup', String(e?.stderr ?? e?.message ?? e).slice(0, 800));
}
