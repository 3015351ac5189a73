// The compose setups for `npm run test:docker` (called by checks.mjs): docker/basic-auth started whole, unchanged, with
// stand-in images built from Debian's packages (test/docker/stand-ins/, basic-auth.override.yml) on a published port
// other than 80; and the list of what cannot be stood in (never silently skipped).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** What the setups run that no Debian package can stand in for. */
const NOT_STOOD_IN = [
  ['Keycloak (quay.io/keycloak/keycloak)', 'keycloak, keycloak-inbox, keycloak-meddream: OIDC logins and roles'],
  ['MedDream viewer and token service', 'keycloak-meddream: licensed, no package'],
  ['MailDev', 'keycloak: share e-mails (the e-mail path is tested by test/emails.e2e-spec.ts)'],
  ['Orthanc Explorer 2, Stone Web Viewer, OHIF', 'every setup: UI plugins of orthancteam/orthanc, not in Debian'],
  [
    'the real authorization plugin',
    'every setup: not in Debian; stood in by stand-ins/orthanc/authorization-plugin.py',
  ],
];

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export async function stackChecks({ check, http, until, RUN, IMAGE }) {
  console.log('-- not started (nothing in Debian can stand in for them):');
  for (const [what, why] of NOT_STOOD_IN) console.log(`   - ${what}: ${why}`);
  console.log('-- the basic-auth setup, started whole (stand-ins: nginx-light, postgresql, orthanc + plugins)');

  for (const name of ['nginx', 'postgres', 'orthanc']) {
    const args = ['build', '-q', '--build-arg', `DEBIAN_IMAGE=${process.env.OA_DEBIAN_IMAGE}`];
    args.push('-t', `oa-test/stand-in-${name}:local`, join(HERE, 'stand-ins', name));
    const env = { ...process.env, DOCKER_BUILDKIT: '0' };
    const b = spawnSync('docker', args, { encoding: 'utf8', timeout: 900_000, env });
    const built = check(b.status === 0, `stand-in image ${name} built from Debian packages`, `${b.stdout}${b.stderr}`);
    if (!built) return;
  }

  // A copy of the setup, so that its secrets are written beside it and never into the checkout.
  const dir = join(RUN, 'basic-auth');
  cpSync(join(ROOT, 'docker', 'basic-auth'), dir, { recursive: true });
  const pw = () => randomBytes(12).toString('hex');
  const sharePw = pw();
  const adminPw = pw();
  const secrets = {
    SECRET_KEY: randomBytes(32).toString('hex'),
    USERS: JSON.stringify({ 'share-user': sharePw }),
    'share-user-password': sharePw,
    'orthanc-users': JSON.stringify({ admin: adminPw }),
    'postgres-password': pw(),
  };
  for (const [f, v] of Object.entries(secrets)) {
    writeFileSync(join(dir, 'secrets', f), v);
    chmodSync(join(dir, 'secrets', f), 0o644);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const project = `oatest${randomBytes(3).toString('hex')}`;
  appendFileSync(join(RUN, 'compose-projects'), `${project}\n`);
  const env = { ...process.env, HTTP_PORT: String(port), PUBLIC_BASE_URL: base, OA_IMAGE: IMAGE };
  const compose = (...args) => {
    const r = spawnSync(
      'docker-compose',
      [
        '-p',
        project,
        '-f',
        join(dir, 'docker-compose.yml'),
        '-f',
        join(HERE, 'stand-ins', 'basic-auth.override.yml'),
        ...args,
      ],
      { cwd: dir, env, encoding: 'utf8', timeout: 300_000 },
    );
    return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
  };
  const admin = `admin:${adminPw}`;
  const up = async () => {
    const r = compose('up', '-d', '--no-build');
    if (r.status !== 0) return r.out;
    const ok = await until(
      async () => {
        const staff = await http(`${base}/orthanc/system`, { auth: admin });
        const shares = await http(`${base}/shares/system`);
        return staff.status === 200 && shares.status === 403;
      },
      240,
      2000,
    );
    return ok ? '' : `not up within 240 s:\n${compose('logs', '--tail', '15').out.slice(-3000)}`;
  };

  const started = await up();
  if (!check(started === '', `started whole with docker-compose on published port ${port}`, started)) return;

  const anon = await http(`${base}/orthanc/system`);
  const staff = await http(`${base}/orthanc/system`, { auth: admin });
  check(
    anon.status === 401 && staff.status === 200,
    'staff login required on /orthanc/',
    `${anon.status} ${staff.status}`,
  );

  const home = await http(`${base}/`);
  const location = home.headers.get('location') ?? '';
  check(
    home.status === 302 && new URL(location, `${base}/`).href === `${base}/orthanc/ui/app/`,
    'the redirect of / keeps the published host:port',
    `${home.status} ${location}`,
  );

  const made = await http(`${base}/orthanc/tools/create-dicom`, {
    method: 'POST',
    auth: admin,
    body: { Tags: { PatientName: 'DOCKER^TEST', PatientID: 'oa-docker-test', StudyDescription: 'test:docker' } },
  });
  const study = (await http(`${base}/orthanc/instances/${made.json?.ID}/study`, { auth: admin })).json ?? {};
  const studyId = study.ID;
  const studyUid = study.MainDicomTags?.StudyInstanceUID;
  if (!check(!!studyId && !!studyUid, 'a study stored through nginx by staff', made.text)) return;

  const created = await http(`${base}/orthanc/auth/tokens/stone-viewer-publication`, {
    method: 'PUT',
    auth: admin,
    body: {
      id: 'docker-test',
      resources: [{ 'dicom-uid': studyUid, 'orthanc-id': studyId, level: 'study' }],
      type: 'stone-viewer-publication',
      'expiration-date': null,
    },
  });
  const token = created.json?.token;
  check(
    created.status === 200 && !!token && String(created.json?.url).startsWith(`${base}/shares/`),
    "a share link created through Orthanc's route, its URL on the public base URL",
    `${created.status} ${created.text.slice(0, 300)}`,
  );
  if (!token) return;
  const shareId = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).share_id;

  const read = await http(`${base}/shares/studies/${studyId}?token=${token}`);
  const meta = await http(`${base}/shares/dicom-web/studies/${studyUid}/metadata`, { headers: { token } });
  const series = await http(`${base}/shares/dicom-web/studies/${studyUid}/series`, { headers: { token } });
  const urls = JSON.stringify(series.json ?? '').match(/https?:\/\/[^"]+/g) ?? [];
  const none = await http(`${base}/shares/studies/${studyId}`);
  check(
    read.status === 200 && meta.status === 200 && Array.isArray(meta.json) && none.status === 403,
    'the study and its DICOMweb metadata read through nginx with the token (403 without)',
    `${read.status} ${meta.status} ${none.status}`,
  );
  // The origin (scheme, host, port) comes from nginx's Forwarded header: with `host=$host` it lost the port. The path
  // comes from DicomWeb.PublicRoot, which Debian's DICOMweb plugin (1.7) predates: it is not checked here.
  const origins = [...new Set(urls.map((u) => new URL(u).origin))];
  check(
    urls.length > 0 && origins.length === 1 && origins[0] === base,
    'DICOMweb answers carry the published host:port (Forwarded host)',
    urls.slice(0, 2).join(' ') || series.text.slice(0, 200),
  );

  const del = await http(`${base}/shares/studies/${studyId}`, { method: 'DELETE', headers: { token } });
  const delStaff = await http(`${base}/orthanc/studies/${studyId}`, {
    method: 'DELETE',
    auth: admin,
    headers: { token },
  });
  const still = await http(`${base}/orthanc/studies/${studyId}`, { auth: admin });
  check(
    del.status === 403 && delStaff.status === 403 && still.status === 200,
    'writes carrying the token refused by the guard, never reaching Orthanc (the study is still there)',
    `${del.status} ${delStaff.status} ${still.status}`,
  );

  const revoke = compose('exec', '-T', 'orthanc-auth', 'npm', 'run', '--silent', 'shares', '--', 'revoke', shareId);
  // The CLI is another process: the running service hears of the revocation within about a second (PROTOCOL.md 15).
  const after = await until(async () => {
    const r = await http(`${base}/shares/studies/${studyId}?token=${token}`);
    return r.status === 403 ? r : undefined;
  }, 15);
  check(
    revoke.status === 0 && after?.status === 403,
    "revoked with the README's command: the link no longer reads",
    `${revoke.status} ${revoke.out.slice(0, 200)} ${after?.status}`,
  );

  const down = compose('down');
  const again = await up();
  const kept = await http(`${base}/orthanc/studies/${studyId}`, { auth: admin });
  const shown = compose('exec', '-T', 'orthanc-auth', 'npm', 'run', '--silent', 'shares', '--', 'show', shareId);
  const stillRevoked = await http(`${base}/shares/studies/${studyId}?token=${token}`);
  check(
    down.status === 0 &&
      again === '' &&
      kept.status === 200 &&
      shown.status === 0 &&
      shown.out.includes(shareId) &&
      stillRevoked.status === 403,
    'data kept across down/up: the study, the share and its revocation',
    `${down.status} ${again} ${kept.status} ${shown.status} ${stillRevoked.status}`,
  );
  compose('down', '-v');
}
