/**
 * The write guard behind the real nginx: for each compose setup, its own docker/<setup>/nginx/default.conf, and for
 * the snippet README.md gives other sites, with the upstream host names swapped for loopback ports, runs as a child process in front of a small recording HTTP server
 * standing in for Orthanc (and Keycloak, MedDream) and of this service's write-guard listener. A share token reads
 * (DICOMweb GETs, POST /tools/find) but its writes (modify, DELETE, PUT metadata...) are 403 and never reach the
 * upstream; the same writes with a user's bearer token or an api-key do. Reads never ask orthanc-auth at all.
 *
 * nginx (with the auth_request module) is required: `npm test` installs it as root (scripts/test.sh). Missing, this
 * suite fails with the install command; it does not skip.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { join, resolve } from 'node:path';
import { writeGuardAddress } from '../apps/auth-service/src/write-guard/write-guard.route';
import { call, RunningApp, startApp } from './support/app';
import { closedPort, closeHttpServer, rawRequest } from './support/net';
import { nginxBinary, RunningNginx, startNginx } from './support/nginx';

const ROOT = resolve(__dirname, '..');
/** The snippet README.md's "Connecting Orthanc" gives sites that do not use the compose files. */
const README_SNIPPET = 'README snippet';
/** The Orthanc locations of each setup: all of them must send writes through the guard. */
const ORTHANC_LOCATIONS: Record<string, string[]> = {
  'basic-auth': ['/orthanc/', '/shares/'],
  keycloak: ['/orthanc/'],
  'keycloak-inbox': ['/orthanc/'],
  'keycloak-meddream': ['/orthanc/', '/orthanc-api/'],
  [README_SNIPPET]: ['/orthanc/'],
};
const SETUPS = Object.keys(ORTHANC_LOCATIONS);
const TRACES = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/plugin-traces/orthanc-1.12.7-authorization-0.11.4.json'), 'utf8'),
) as {
  'secret-key': string;
  scenarios: Array<{
    name: string;
    group: string;
    'orthanc-request': { method: string; path: string; headers?: Record<string, string>; body?: unknown };
  }>;
};
const A = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';
const UID = '2.25.100000000000000000000000000000000001';

/** A user's access token as Keycloak issues them: an RS256 JWT (the guard only needs to see it is no share token). */
function userAccessToken(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid: 'realm-key' })}.${part({
    iss: 'http://localhost/keycloak/realms/orthanc',
    sub: 'doctor-1',
    preferred_username: 'doctor',
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The stand-in for Orthanc (and the other upstreams): records every request it gets, answers 200 JSON. */
async function recordingUpstream(): Promise<{ server: Server; port: number; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"upstream":"orthanc"}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as { port: number }).port, seen };
}

/** The nginx text of a setup: its docker/<setup>/nginx/default.conf, or the README's snippet. */
function sourceOf(setup: string): string {
  if (setup !== README_SNIPPET) return readFileSync(join(ROOT, 'docker', setup, 'nginx', 'default.conf'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Connecting Orthanc'),
    readme.indexOf('\n## ', readme.indexOf('## Connecting Orthanc') + 3),
  );
  const blocks = [...section.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(1);
  return blocks[0];
}

/**
 * The setup's nginx text as it runs, for this machine: listening on a loopback port, upstreams (host names Docker's
 * DNS resolves in the container, or the README's loopback ports) swapped for the test's ports, inside the `http` block
 * the official image includes it in.
 */
function deriveConfig(setup: string, work: string, ports: { nginx: number; upstream: number; guard: number }): string {
  let conf = sourceOf(setup);
  const swapped = (pattern: RegExp, by: string) => {
    const before = conf;
    conf = conf.replace(pattern, by);
    if (conf === before) throw new Error(`${setup}: no ${pattern} in its nginx config`);
  };
  if (setup === README_SNIPPET) {
    swapped(/server \{/, `server {\n    listen 127.0.0.1:${ports.nginx};`);
    swapped(/127\.0\.0\.1:8001\/write-guard;/g, `127.0.0.1:${ports.guard}/write-guard;`);
    swapped(/127\.0\.0\.1:8042\//g, `127.0.0.1:${ports.upstream}/`);
  } else {
    swapped(/listen 80;/, `listen 127.0.0.1:${ports.nginx};`);
    swapped(/resolver 127\.0\.0\.11[^;]*;/, '');
    swapped(/set \$write_guard_upstream orthanc-auth:8001;/, `set $write_guard_upstream 127.0.0.1:${ports.guard};`);
    conf = conf.replace(/(set \$\w+_upstream )[a-z][\w.-]*:\d+;/g, `$1127.0.0.1:${ports.upstream};`);
    expect(conf).not.toMatch(/set \$\w+_upstream [a-z]/);
  }
  writeFileSync(join(work, 'site.conf'), conf);
  return `include ${work}/site.conf;`;
}

/** The locations of the setup that send their writes through the guard (auth_request), e.g. /orthanc/, /shares/. */
function guardedLocations(setup: string): string[] {
  const conf = sourceOf(setup).replace(/#.*$/gm, '');
  return [...conf.matchAll(/location\s+(\/[^\s{]*)\s*\{\s*auth_request \/_orthanc_write_guard;/g)].map((m) => m[1]);
}

/** nginx with the setup's config as it runs here (see deriveConfig). */
function startSetupNginx(setup: string, ports: { upstream: number; guard: number }): Promise<RunningNginx> {
  return startNginx(setup, (work, port) => deriveConfig(setup, work, { nginx: port, ...ports }));
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return rawRequest({ host: '127.0.0.1', port, method, path, headers }, body, `${method} ${path}`);
}

/** How many times orthanc-auth's guard route was asked so far (its HTTP request counter). */
async function guardCalls(svc: RunningApp): Promise<number> {
  const text = (await call(svc.url, 'GET', '/metrics')).text;
  let n = 0;
  for (const m of text.matchAll(/^orthanc_auth_http_requests_total\{[^}]*route="\/write-guard"[^}]*\} (\d+)$/gm))
    n += Number(m[1]);
  return n;
}

describe("write guard behind the real nginx, with each compose setup's nginx config and the README's snippet", () => {
  let svc: RunningApp;
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let guardPort: number;
  let share: string;
  const user = userAccessToken();
  const apiKey = 'api-key-of-a-keycloak-user-0123456789';

  beforeAll(async () => {
    nginxBinary(); // fails first, with the install command, when nginx is missing
    upstream = await recordingUpstream();
    // The traces' tokens were signed with their own key: a previous key of this site here.
    svc = await startApp({ WRITE_GUARD_PORT: '0', PREVIOUS_SECRET_KEYS: TRACES['secret-key'] });
    guardPort = writeGuardAddress(svc.app)!.port;
    const res = await call(svc.url, 'PUT', '/tokens/stone-viewer-publication', {
      id: 'nginx-guard',
      resources: [{ 'dicom-uid': UID, 'orthanc-id': A, level: 'study' }],
      type: 'stone-viewer-publication',
    });
    expect(res.status).toBe(200);
    share = res.body.token;
  });

  afterAll(async () => {
    await svc?.close();
    await closeHttpServer(upstream?.server);
  });

  describe.each(SETUPS)('%s', (setup) => {
    let nginx: RunningNginx | undefined;
    const locations = ORTHANC_LOCATIONS[setup];

    beforeAll(async () => {
      nginx = await startSetupNginx(setup, { upstream: upstream.port, guard: guardPort });
    }, 40_000);
    afterAll(async () => {
      await nginx?.stop();
    });

    /** Sends through nginx; says whether the request reached the stand-in Orthanc, and what it saw. */
    const through = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
      const before = upstream.seen.length;
      const res = await send(nginx!.port, method, path, headers, body);
      const reached = upstream.seen.slice(before);
      return { ...res, reached };
    };

    type Sent = Array<[string, string, Record<string, string>, string?]>;
    /** Sends each request through nginx, each answered `status` after reaching Orthanc `reached` times. */
    const answeredAll = async (cases: Sent, status: number, reached: number) => {
      const answers = [];
      for (const [method, path, headers, body] of cases) {
        const res = await through(method, path, headers, body);
        expect({ method, path, status: res.status, reached: res.reached.length }).toEqual({
          method,
          path,
          status,
          reached,
        });
        answers.push(res);
      }
      return answers;
    };
    /** Every one a 403 that never reached Orthanc; answers how many. */
    const refusedAll = async (cases: Sent) => (await answeredAll(cases, 403, 0)).length;

    it('sends every Orthanc location through the guard', () => {
      expect(guardedLocations(setup)).toEqual(locations);
    });

    it("passes a share token's reads, without asking orthanc-auth", async () => {
      const asked = await guardCalls(svc);
      for (const root of locations) {
        const reads: Sent = [
          ['GET', `${root}dicom-web/studies/${UID}/series`, { token: share }],
          ['GET', `${root}dicom-web/studies/${UID}/metadata`, { authorization: `Bearer ${share}` }],
          ['GET', `${root}dicom-web/studies?StudyInstanceUID=${UID}&token=${share}`, {}],
          ['GET', `${root}studies/${A}/archive`, { 'api-key': share }],
          ['HEAD', `${root}studies/${A}`, { token: share }],
          [
            'POST',
            `${root}tools/find`,
            { token: share, 'content-type': 'application/json' },
            JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: UID } }),
          ],
        ];
        const answers = await answeredAll(reads, 200, 1);
        // nginx strips its location prefix: Orthanc sees its own path.
        reads.forEach(([, path], i) =>
          expect(answers[i].reached[0].url.startsWith(`/${path.slice(root.length)}`.split('?')[0])).toBe(true),
        );
      }
      expect(await guardCalls(svc)).toBe(asked);
    });

    it("refuses a share token's writes with 403: none reaches Orthanc", async () => {
      const asked = await guardCalls(svc);
      let writes = 0;
      for (const root of locations) {
        const refused: Sent = [
          [
            'POST',
            `${root}studies/${A}/modify`,
            { token: share, 'content-type': 'application/json' },
            JSON.stringify({ Replace: { PatientName: 'X' }, KeepSource: false, Force: true }),
          ],
          ['POST', `${root}studies/${A}/anonymize`, { 'api-key': share }, '{}'],
          ['POST', `${root}studies/${A}/merge`, { authorization: `Bearer ${share}` }, '{"Resources":[]}'],
          ['DELETE', `${root}studies/${A}`, { token: share }],
          ['DELETE', `${root}studies/${A}?token=${encodeURIComponent(share)}`, {}],
          ['PUT', `${root}studies/${A}/metadata/1024`, { token: share }, 'x'],
          ['POST', `${root}tools/bulk-delete`, { token: share }, `{"Resources":["${A}"]}`],
          ['POST', `${root}dicom-web/studies?StudyInstanceUID=${UID}`, { token: share }, 'stow'],
          // dressed up: an escaped path, the guard's own headers spoofed by the client, the token beside a user's
          ['POST', `${root}studies/${A}/%6Dodify`, { token: share }, '{}'],
          ['DELETE', `${root}studies/${A}`, { token: share, 'x-original-method': 'GET', 'x-original-uri': '/' }],
          ['DELETE', `${root}studies/${A}`, { authorization: `Bearer ${user}`, token: share }],
        ];
        writes += await refusedAll(refused);
      }
      expect(await guardCalls(svc)).toBe(asked + writes);
    });

    it('judges the path Orthanc will route ($uri), and any occurrence of a token in the query (issue 24)', async () => {
      const asked = await guardCalls(svc);
      let writes = 0;
      for (const root of locations) {
        const refused: Array<[string, string, Record<string, string>]> = [
          // $request_uri ends with /tools/find; Orthanc routes modify? (nginx passes modify%3F): a write, guard asked
          ['POST', `${root}studies/${A}/modify%3F/tools/find`, { token: share }],
          ['POST', `${root}studies/${A}/modify%3f/tools/find?x=1`, { authorization: `Bearer ${share}` }],
          ['POST', `${root}studies/${A}/modify%0A/tools/find`, { token: share }],
          ['DELETE', `${root}studies/${A}?token=${share}%00`, {}],
          ['DELETE', `${root}studies/${A}?token=${share};x=1`, {}],
          ['DELETE', `${root}studies/${A}?a=1;token=${share}`, {}],
          ['DELETE', `${root}studies/${A}?TOKEN=${share}`, {}],
          ['DELETE', `${root}studies/${A}?Token=x&token=${share}&token=y`, {}],
          ['DELETE', `${root}studies/${A}?x=#&token=${share}`, {}],
          ['POST', `${root}studies/${A}/modify?token=${encodeURIComponent(share)}%0A`, {}],
          // Orthanc turns these into DELETE/PUT (its method override): never judged by their own method
          ['GET', `${root}studies/${A}?_method=DELETE&token=${share}`, {}],
          ['GET', `${root}studies/${A}?token=${share}&%5Fmethod=DELETE`, {}],
          ['GET', `${root}studies/${A}`, { 'x-http-method-override': 'DELETE', token: share }],
          ['POST', `${root}tools/find`, { 'x-http-method-override': 'PUT', token: share }],
        ];
        writes += await refusedAll(refused.map(([method, path, headers]) => [method, path, headers, '{}']));
        // A read written with an escape is still a read once decoded: Orthanc gets /tools/find, the guard is not asked.
        const read = await through('POST', `${root}tools/fin%64`, { token: share }, '{}');
        expect({ status: read.status, url: read.reached[0]?.url }).toEqual({ status: 200, url: '/tools/find' });
      }
      expect(await guardCalls(svc)).toBe(asked + writes);
    });

    it("lets the same writes through with a user's bearer token, a user token header or an api-key", async () => {
      for (const root of locations) {
        const credentials: Record<string, string>[] = [
          { authorization: `Bearer ${user}` },
          { token: user },
          { 'api-key': apiKey },
        ];
        for (const headers of credentials) {
          const modify = await through(
            'POST',
            `${root}studies/${A}/modify`,
            { ...headers, 'content-type': 'application/json' },
            '{"KeepSource":false}',
          );
          expect({ headers, status: modify.status, reached: modify.reached.length }).toEqual({
            headers,
            status: 200,
            reached: 1,
          });
          // Orthanc gets the request as sent: its path, its body, its credentials (for the plugin to check).
          expect(modify.reached[0]).toMatchObject({
            method: 'POST',
            url: `/studies/${A}/modify`,
            body: '{"KeepSource":false}',
            headers: expect.objectContaining(headers),
          });
          const del = await through('DELETE', `${root}studies/${A}`, headers);
          const put = await through('PUT', `${root}studies/${A}/metadata/1024`, headers, 'x');
          expect([del.status, del.reached.length, put.status, put.reached.length]).toEqual([200, 1, 200, 1]);
        }
      }
    });

    it("lets writes without any token through to Orthanc's own checks (the inbox's anonymous uploads), not with a share token", async () => {
      const asked = await guardCalls(svc);
      let writes = 0;
      for (const root of locations) {
        // What OE2's inbox page sends for an anonymous visitor: the files, then the form's routes. No token at all:
        // the guard lets them through; the authorization plugin then checks the anonymous profile (upload only).
        const anonymous: Array<[string, string, Record<string, string>, string]> = [
          ['POST', `${root}instances`, { 'content-type': 'application/dicom' }, 'DICM-bytes'],
          ['POST', `${root}plugins/inbox/validate-form`, { 'content-type': 'application/json' }, '{"FormFields":{}}'],
          ['POST', `${root}plugins/inbox/commit`, { 'content-type': 'application/json' }, '{"OrthancStudiesIds":[]}'],
        ];
        for (const [method, path, headers, body] of anonymous) {
          const passed = await through(method, path, headers, body);
          const refused = await through(method, path, { ...headers, token: share }, body);
          writes += 2;
          expect({
            path,
            passed: [passed.status, passed.reached.length],
            refused: [refused.status, refused.reached.length],
          }).toEqual({
            path,
            passed: [200, 1],
            refused: [403, 0],
          });
          expect(passed.reached[0]).toMatchObject({ method, url: `/${path.slice(root.length)}`, body });
        }
      }
      expect(await guardCalls(svc)).toBe(asked + writes);
    });

    it('sends every recorded Orthanc request of the plugin traces as the real setup would: writes 403, the rest on', async () => {
      const root = locations[locations.length - 1];
      const outcome: Record<string, string> = {};
      for (const s of TRACES.scenarios) {
        const r = s['orthanc-request'];
        const body = r.body === undefined || r.body === false ? undefined : JSON.stringify(r.body);
        const res = await through(r.method, `${root}${r.path.slice(1)}`, r.headers ?? {}, body);
        outcome[s.name] = `${res.status} ${res.reached.length ? 'reached Orthanc' : 'stopped'}`;
      }
      expect(outcome).toEqual(
        Object.fromEntries(
          TRACES.scenarios.map((s) => [s.name, s.group === 'write' ? '403 stopped' : '200 reached Orthanc']),
        ),
      );
    });

    it('logged no error of its own', () => {
      // 403s are not errors; a guard that could not be reached, or answered garbage, would be.
      expect(nginx!.errors()).not.toMatch(/\[(error|crit|alert|emerg)\]/);
    });
  });

  it('with orthanc-auth unreachable, writes fail closed (5xx, not passed) while reads still pass', async () => {
    const nginx = await startSetupNginx('keycloak', { upstream: upstream.port, guard: await closedPort() });
    try {
      const before = upstream.seen.length;
      const read = await send(nginx.port, 'GET', `/orthanc/dicom-web/studies/${UID}/series`, { token: share });
      const write = await send(nginx.port, 'DELETE', `/orthanc/studies/${A}`, { authorization: `Bearer ${user}` });
      expect([read.status, write.status]).toEqual([200, 500]);
      expect(upstream.seen.slice(before).map((r) => r.method)).toEqual(['GET']);
    } finally {
      await nginx.stop();
    }
  }, 60_000);
});
