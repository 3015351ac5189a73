import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer, Server } from 'node:http';
import { createServer as createNetServer, Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeRolesConfig, validateRolesConfig } from '@app/permissions';
import { call, RunningApp, startApp } from '../support/app';
import { TestOidcProvider } from '../support/oidc-provider';
import { seedFor } from './support/hostile';
import { rolesVersion, whichVersion } from './support/roles-versions';

// Faults: the roles file writer killed mid-write, a full disk, an OpenID provider down or hanging, MedDream and SMTP
// peers that break in ways the other suites do not try. Already covered elsewhere, not repeated:
// - test/keycloak-profiles.e2e-spec.ts "Keycloak unreachable": 503 when down at start-up and recovery, 503 after
//   KEYCLOAK_TIMEOUT when hanging, cached JWKS keep verifying once the realm is gone;
// - test/meddream.e2e-spec.ts: 502 on a 500, an empty answer, an HTML page, a refused connection; 504 on a timeout;
// - test/emails.e2e-spec.ts: SMTP unreachable, login refused, untrusted certificate: 400 {success: false};
// - libs/permissions/src/roles.store.spec.ts: injected ENOSPC/EACCES, serialised writers.

const faults = { kills: 0, fullDisk: 0, peers: 0 };
afterAll(() => process.stdout.write(`[hostile] faults injected: ${JSON.stringify(faults)}\n`));

/** A small seeded generator, so that the kill moments can be replayed (HOSTILE_SEED). */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

describe('the roles file writer killed with SIGKILL in the middle of its writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-kill-'));
  const file = join(dir, 'permissions.json');
  /** Writers not yet reaped: a test that fails or times out mid-run must not leave one writing forever. */
  const writers = new Set<ChildProcess>();
  afterAll(() => {
    for (const child of writers) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the writer child; resolves once it has announced `minWrites` writes, then kills it after `delay` ms. */
  function runAndKill(minWrites: number, delay: number): Promise<{ lastAnnounced: number }> {
    return new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(
        process.execPath,
        ['-r', './test/support/ts-register.cjs', 'test/hostile/support/roles-writer.ts', file],
        {
          cwd: join(__dirname, '../..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      writers.add(child);
      child.once('exit', () => writers.delete(child));
      let out = '';
      let err = '';
      let announced = -1;
      let seen = 0;
      let killing = false;
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const line of lines) {
          const m = /^writing (\d+)$/.exec(line);
          if (!m) continue;
          announced = Number(m[1]);
          if (++seen >= minWrites && !killing) {
            killing = true;
            setTimeout(() => child.kill('SIGKILL'), delay);
          }
        }
      });
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve({ lastAnnounced: announced });
        else reject(new Error(`the writer exited by itself (${code}): ${err}`));
      });
    });
  }

  it('after each of 12 kills the file is one complete version, one that was being written or before', async () => {
    writeFileSync(file, serializeRolesConfig(rolesVersion(0)));
    const random = prng(seedFor('roles-kill'));
    const seenVersions: number[] = [];
    let previous = 0;
    for (let i = 0; i < 12; i++) {
      const { lastAnnounced } = await runAndKill(1 + Math.floor(random() * 6), Math.floor(random() * 12));
      faults.kills++;
      const text = readFileSync(file, 'utf8');
      const parsed = JSON.parse(text); // a torn file would throw here
      validateRolesConfig(parsed);
      const version = whichVersion(parsed);
      expect(version).not.toBeNull();
      expect(parsed).toEqual(rolesVersion(version!));
      // Never older than what was on disk before this run, never newer than the last version announced.
      expect(version!).toBeGreaterThanOrEqual(previous);
      expect(version!).toBeLessThanOrEqual(lastAnnounced);
      previous = version!;
      seenVersions.push(version!);
    }
    // Temporary files a kill leaves behind never replace the real file (they are only ever renamed over it).
    const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    process.stdout.write(
      `[hostile] roles-kill: versions on disk after each kill ${seenVersions.join(', ')}; ${leftovers.length} temp files left by the kills\n`,
    );
    // The service restarts on that file and serves exactly it. The litter of the kills, once older than an hour,
    // is swept at start-up; a fresh temporary file (another process's write in progress) is left alone.
    const old = new Date(Date.now() - 2 * 3600_000);
    writeFileSync(join(dir, '.permissions.json.1.deadbeef.tmp'), '{"roles":{"cut'); // one more, should no kill have cut a write
    for (const f of [...leftovers, '.permissions.json.1.deadbeef.tmp']) utimesSync(join(dir, f), old, old);
    const inProgress = join(dir, '.permissions.json.999999.abcdef.tmp');
    writeFileSync(inProgress, '{"roles":');
    const svc = await startApp({ PERMISSIONS_FILE_PATH: file });
    try {
      expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(rolesVersion(previous));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual(['.permissions.json.999999.abcdef.tmp']);
    } finally {
      await svc.close();
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
/** A small tmpfs, when this runs as root and may mount one; else the injected ENOSPC of the unit spec stands. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk under the roles file (a real 256 kB tmpfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-full-'));
  const mounted = mountTmpfs(dir, '256k');
  const file = join(dir, 'permissions.json');
  let svc: RunningApp | undefined;
  afterAll(async () => {
    await svc?.close();
    if (mounted) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  if (!mounted) {
    it.skip('cannot mount a tmpfs here (not root): see the injected ENOSPC in libs/permissions/src/roles.store.spec.ts', () =>
      undefined);
    return;
  }

  const fill = (leaveFree: number) => {
    try {
      unlinkSync(join(dir, 'filler'));
    } catch {
      /* none yet */
    }
    const { bavail, bsize } = statfsSync(dir);
    writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - leaveFree)));
  };

  it('a PUT that does not fit is a JSON 507; memory and disk keep the previous version; it works again once space is freed', async () => {
    writeFileSync(file, serializeRolesConfig(rolesVersion(1)));
    svc = await startApp({ PERMISSIONS_FILE_PATH: file });
    const before = readFileSync(file, 'utf8');
    for (const leaveFree of [0, 4096, 40_000]) {
      // 0: nothing fits; 4 kB and 40 kB: the temporary file is cut in the middle of its 100 kB.
      fill(leaveFree);
      const res = await call(svc.url, 'PUT', '/settings/roles', rolesVersion(2));
      faults.fullDisk++;
      expect(res.status).toBe(507);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 507, message: [expect.stringMatching(/ENOSPC/)] });
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect((await call(svc.url, 'GET', '/settings/roles')).body).toEqual(rolesVersion(1));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
    unlinkSync(join(dir, 'filler'));
    const ok = await call(svc.url, 'PUT', '/settings/roles', rolesVersion(3));
    expect(ok.status).toBe(200);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(rolesVersion(3));
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('the OpenID provider down or hanging: share links are not affected', () => {
  const doctor = { sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] };
  const validateBody = (token: string) => ({
    'dicom-uid': '1.2.3',
    level: 'study',
    method: 'get',
    'token-key': 'token',
    'token-value': token,
  });

  // The realm calls' timeout (20 s): the 200 validate requests below must all be answered before it ends, which takes
  // well under a second on a quiet machine but took more than 5 s on a loaded one. The hanging case waits it out.
  async function check(realm: string, label: string): Promise<void> {
    const svc = await startApp({
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: `${realm}/realms/orthanc/`,
      KEYCLOAK_TIMEOUT: '20000',
      PUBLIC_ORTHANC_ROOT: 'http://pacs.example/',
    });
    try {
      const share = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
        id: null,
        type: 'stone-viewer-publication',
        resources: [{ 'dicom-uid': '1.2.3', level: 'study' }],
      });
      expect(share.status).toBe(200);
      const userToken = await new TestOidcProvider().mint(doctor, {
        key: await TestOidcProvider.foreignKey(),
        issuer: `${realm}/realms/orthanc`,
      });
      const events: string[] = [];
      // User lookups that need the realm are started first and left waiting on it...
      const profiles = Array.from({ length: 5 }, () =>
        call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': userToken }).then((r) => {
          events.push('profile');
          return r;
        }),
      );
      // ...while the plugin's share-link checks go on, answered without the realm.
      for (let i = 0; i < 10; i++) {
        const batch = await Promise.all(
          Array.from({ length: 20 }, () => call(svc.url, 'POST', '/tokens/validate', validateBody(share.body.token))),
        );
        for (const v of batch) expect(v.body).toEqual({ granted: true, validity: 60 });
        const decode = await call(svc.url, 'POST', '/tokens/decode', { 'token-value': share.body.token });
        expect(decode.body['error-code']).toBeNull();
        events.push('validate-batch');
      }
      const answers = await Promise.all(profiles);
      faults.peers++;
      for (const r of answers) {
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
      }
      if (label === 'hanging') expect(events.indexOf('profile')).toBeGreaterThanOrEqual(10);
      // The anonymous profile needs no realm either.
      expect((await call(svc.url, 'POST', '/user/get-profile', {})).body.name).toBe('Anonymous');
    } finally {
      await svc.close();
    }
  }

  it('hanging (accepts connections, never answers): validate and decode keep answering; get-profile is a JSON 503 after its timeout', async () => {
    const hang: Server = createHttpServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      await check(`http://127.0.0.1:${(hang.address() as { port: number }).port}`, 'hanging');
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  }, 110_000);

  it('down (connection refused): the same', async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await check(`http://127.0.0.1:${port}`, 'down');
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------------------------
describe('MedDream and SMTP peers that break mid-way', () => {
  const study = { 'dicom-uid': '1.2.840.1', 'orthanc-id': 'o-1', url: null, level: 'study' };
  const medDreamBody = {
    id: null,
    resources: [study],
    type: 'meddream-instant-link',
    'expiration-date': null,
    'validity-duration': 3600,
  };

  async function withHttpPeer(handler: (socket: Socket) => void, run: (url: string) => Promise<void>): Promise<void> {
    const server: NetServer = createNetServer((s) => {
      s.on('error', () => undefined); // the service hanging up on a broken peer is expected
      handler(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await run(`http://127.0.0.1:${(server.address() as { port: number }).port}/v3/generate`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  const medDreamCases: Array<[string, (socket: Socket) => void]> = [
    ['resets the connection after reading the request', (s) => s.once('data', () => s.resetAndDestroy())],
    ['closes in the middle of its headers', (s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Ty'))],
    [
      'announces 100 bytes and sends 5',
      (s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nmd-to')),
    ],
    ['answers garbage instead of HTTP', (s) => s.once('data', () => s.end('\u0000\u0001garbage\r\n\r\n'))],
    [
      'answers a 3 MB body',
      (s) =>
        s.once('data', () =>
          s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n${'x'.repeat(3 * 1024 * 1024)}`),
        ),
    ],
    [
      'answers a redirect to another host',
      (s) =>
        s.once('data', () =>
          s.end('HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data\r\nContent-Length: 0\r\n\r\n'),
        ),
    ],
  ];

  it.each(medDreamCases)(
    'MedDream token service that %s: a clean JSON 502/504, never its bytes as a token',
    async (_name, handler) => {
      await withHttpPeer(handler, async (url) => {
        const svc = await startApp({
          MEDDREAM_TOKEN_SERVICE_URL: url,
          PUBLIC_MEDDREAM_ROOT: 'https://viewer.example.org/meddream/',
          MEDDREAM_TIMEOUT: '2000',
        });
        try {
          const res = await call(svc.url, 'PUT', '/tokens/meddream-instant-link', medDreamBody);
          faults.peers++;
          expect([502, 504]).toContain(res.status);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(res.body).toMatchObject({ statusCode: res.status, errorId: expect.any(String) });
          expect(res.text).not.toMatch(/garbage|xxxxxxxx|md-to/);
          expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
        } finally {
          await svc.close();
        }
      });
    },
  );

  const smtpCases: Array<[string, (socket: Socket) => void]> = [
    ['closes the connection at once', (s) => s.destroy()],
    ['never sends its greeting', () => undefined],
    [
      'greets, then answers garbage',
      (s) => {
        s.write('220 smtp.example ESMTP\r\n');
        s.on('data', () => s.write('\u0000garbage\r\n'));
      },
    ],
    [
      'refuses the sender with 5xx',
      (s) => {
        s.write('220 smtp.example ESMTP\r\n');
        s.on('data', (d: Buffer) =>
          s.write(/^EHLO|^HELO/i.test(d.toString()) ? '250 smtp.example\r\n' : '554 5.7.1 no\r\n'),
        );
      },
    ],
  ];

  it.each(smtpCases)(
    'SMTP server that %s: 400 {success: false} within the SMTP timeout, the service keeps serving',
    async (_name, handler) => {
      const sockets = new Set<Socket>();
      const server = createNetServer((s) => {
        sockets.add(s);
        s.on('error', () => undefined);
        handler(s);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const svc = await startApp({
        ENABLE_EMAILS: 'true',
        EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
        EMAILS_SMTP_SERVER_PORT: String((server.address() as { port: number }).port),
        EMAILS_SMTP_SERVER_USES_TLS: 'false',
        EMAILS_SMTP_SERVER_TIMEOUT: '2',
        EMAILS_SENDER_ADDRESS: 'orthanc@example.org',
      });
      try {
        const res = await call(svc.url, 'POST', '/emails/send', {
          'destination-email': 'patient@example.org',
          'email-title': 't',
          'email-content': '<p>x</p>',
          'layout-template': null,
        });
        faults.peers++;
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.body).toEqual({ success: false, details: expect.any(String) });
        expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
      } finally {
        await svc.close();
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      }
    },
    20_000,
  );
});
