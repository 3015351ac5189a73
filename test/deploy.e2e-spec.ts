/**
 * The deployment kit in docker/ checked without a Docker engine: every compose setup parses and resolves
 * (docker-compose config), every nginx config passes `nginx -t`, every Orthanc JSON (with comments) and the Keycloak
 * realm parse and agree with each other, and the environment + example secrets each setup gives orthanc-auth pass
 * the service's own start-up validation: every `load*Config` of every lib, then the whole service started with
 * exactly that environment, answering /health (through the image's HEALTHCHECK command) and creating share links that
 * point to a path nginx routes. Also: each Orthanc's DICOMweb and OHIF base paths match the nginx location serving
 * it, every Orthanc index is the setup's PostgreSQL, OE2's e-mail and inbox settings match what orthanc-auth serves,
 * the README's `npm run shares` commands work on the service's storage, and every image is pinned at the tag
 * docker/VERSIONS.md lists.
 *
 * docker-compose (Debian's v1 package) and nginx are required: scripts/install-test-peers.sh installs them (.ci/run
 * runs it; npm test stops at once, naming them, when they are missing). Without them these tests fail and say so; they
 * do not skip, so a CI machine that lost them cannot report a green deployment kit.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parse as parseJsonc, ParseError, printParseErrorCode } from 'jsonc-parser';
import { SMTPServer } from 'smtp-server';
import { loadAppConfig } from '../apps/auth-service/src/app.config';
import { loadWriteGuardConfig } from '../apps/auth-service/src/write-guard/write-guard.config';
import { call, startApp } from './support/app';

const ROOT = resolve(__dirname, '..');
const DOCKER = join(ROOT, 'docker');
const EXPECTED_SETUPS = ['basic-auth', 'keycloak', 'keycloak-inbox', 'keycloak-meddream'];
const AUTH_SERVICE = 'orthanc-auth';
const ORTHANC_STUDY = 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498';

// ---------------------------------------------------------------------------------------------------------------------
// tools

function toolPath(tool: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function requireTool(tool: string): void {
  if (!toolPath(tool)) {
    throw new Error(
      `${tool} is not installed, so the deployment kit cannot be checked: install it with sudo scripts/install-test-peers.sh`,
    );
  }
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, encoding: 'utf8', timeout: 60_000 });
  return {
    status: r.status ?? -1,
    stdout: r.stdout ?? '',
    out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}

/** The shares CLI of the README, run from its TypeScript source with exactly the given environment. */
function sharesCli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', './test/support/ts-register.cjs', 'apps/auth-service/src/cli/shares-cli.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Runs a command without blocking the event loop (the service under test answers from this same process). */
function runAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done) => {
    execFile(cmd, args, { env, timeout: 20_000 }, (err) => {
      done(err ? (typeof err.code === 'number' ? err.code : -1) : 0);
    });
  });
}

/** A minimal environment for docker-compose: nothing of the developer's variables can fill a ${...} by accident. */
function composeEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
}

// ---------------------------------------------------------------------------------------------------------------------
// compose model (resolved by docker-compose itself, turned into JSON by PyYAML, a dependency of docker-compose)

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  ports?: unknown[];
  environment?: Record<string, string | null>;
  secrets?: Array<{ source: string; target?: string } | string>;
  volumes?: Array<{ type: string; source?: string; target: string } | string>;
  networks?: Record<string, unknown> | string[];
  entrypoint?: string[] | string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
  networks?: Record<string, { internal?: boolean } | null>;
}

interface Setup {
  name: string;
  dir: string;
  composeArgs: string[];
}

function setupOf(name: string): Setup {
  const dir = join(DOCKER, name);
  const composeArgs = ['-f', join(dir, 'docker-compose.yml'), '--project-directory', dir];
  // A setup that fills ${...} from .env ships .env.example (README step 1 copies it); check with the example values.
  if (existsSync(join(dir, '.env.example'))) composeArgs.push('--env-file', join(dir, '.env.example'));
  return { name, dir, composeArgs };
}

const resolvedCache = new Map<string, ComposeFile>();
function resolvedCompose(setup: Setup): ComposeFile {
  const cached = resolvedCache.get(setup.name);
  if (cached) return cached;
  requireTool('docker-compose');
  const yaml = run('docker-compose', [...setup.composeArgs, 'config'], { cwd: setup.dir, env: composeEnv() });
  if (yaml.status !== 0) throw new Error(`docker-compose config failed for ${setup.name}:\n${yaml.out}`);
  const json = execFileSync(
    'python3',
    ['-c', 'import json,sys,yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    {
      input: yaml.stdout,
      encoding: 'utf8',
    },
  );
  const parsed = JSON.parse(json) as ComposeFile;
  resolvedCache.set(setup.name, parsed);
  return parsed;
}

function secretRefs(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.secrets ?? []).map((s) =>
    typeof s === 'string' ? { source: s, target: s } : { source: s.source, target: s.target ?? s.source },
  );
}

function bindMounts(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source.startsWith('/') || source.startsWith('.') ? [{ source: resolve(source), target }] : [];
    }
    return v.type === 'bind' && v.source ? [{ source: v.source, target: v.target }] : [];
  });
}

/**
 * A container path as this machine sees it: through the service's bind mount that holds it (a mounted file, or a file
 * in a mounted folder); undefined when no bind mount holds it.
 */
function hostPath(service: ComposeService, containerPath: string): string | undefined {
  for (const m of bindMounts(service)) {
    if (containerPath === m.target) return m.source;
    if (containerPath.startsWith(`${m.target.replace(/\/+$/, '')}/`))
      return join(m.source, relative(m.target, containerPath));
  }
  return undefined;
}

/** The compose secret a service mounts as /run/secrets/<target>. */
function secretSource(service: ComposeService, target: string): string {
  const ref = secretRefs(service).find((r) => r.target === target);
  if (!ref) throw new Error(`no secret is mounted as /run/secrets/${target}`);
  return ref.source;
}

/** The example content of a compose secret (the file README step 1 copies it from). */
function exampleSecret(compose: ComposeFile, secretName: string): string {
  const file = compose.secrets?.[secretName]?.file;
  if (!file) throw new Error(`secret ${secretName} has no file`);
  return readFileSync(`${file}.example`, 'utf8').trim();
}

function env(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? '']));
}

// ---------------------------------------------------------------------------------------------------------------------
// Orthanc JSON, nginx

function readJsonc(path: string): any {
  const errors: ParseError[] = [];
  const value = parseJsonc(readFileSync(path, 'utf8'), errors, { allowTrailingComma: false, disallowComments: false });
  if (errors.length) {
    const detail = errors.map((e) => `${printParseErrorCode(e.error)} at offset ${e.offset}`).join(', ');
    throw new Error(`${relative(ROOT, path)} is not valid JSON (comments allowed): ${detail}`);
  }
  return value;
}

/** The Orthanc configuration files a compose service mounts into /etc/orthanc. */
function orthancConfigs(service: ComposeService): string[] {
  return bindMounts(service)
    .filter((m) => m.target.startsWith('/etc/orthanc/') && m.target.endsWith('.json'))
    .map((m) => m.source);
}

function nginxLocations(confPath: string): string[] {
  const text = readFileSync(confPath, 'utf8').replace(/#.*$/gm, '');
  return [...text.matchAll(/location\s+(?:=\s*|\^~\s*)?(\/[^\s{]*)\s*\{/g)].map((m) => m[1]);
}

function nginxTest(confPath: string): { status: number; out: string } {
  requireTool('nginx');
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-nginx-'));
  try {
    // The setups' files are server blocks for the official image's conf.d (inside `http`); wrap them the same way.
    // Their upstreams are variables resolved at request time (resolver 127.0.0.11), so `nginx -t` needs no Docker DNS.
    writeFileSync(
      join(work, 'nginx.conf'),
      `pid ${work}/nginx.pid;\nerror_log ${work}/error.log;\nevents {}\nhttp {\n  include ${confPath};\n}\n`,
    );
    return run(toolPath('nginx')!, [
      '-t',
      '-q',
      '-p',
      work,
      '-e',
      join(work, 'error.log'),
      '-c',
      join(work, 'nginx.conf'),
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The text of the nginx block that starts with `header {`, up to its matching `}` (nested blocks included). */
function nginxBlock(text: string, header: string): string {
  const start = text.indexOf(`${header} {`);
  if (start < 0) throw new Error(`no "${header}" block`);
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`the "${header}" block is not closed`);
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

function routedBy(locations: string[], path: string): string | undefined {
  return locations.filter((l) => l !== '/' && path.startsWith(l)).sort((a, b) => b.length - a.length)[0];
}

/** The nginx text (comments dropped) of the files the setup's nginx service mounts. */
function nginxText(compose: ComposeFile): string {
  return bindMounts(compose.services.nginx)
    .filter((m) => m.target.startsWith('/etc/nginx/'))
    .map((m) => readFileSync(m.source, 'utf8').replace(/#.*$/gm, ''))
    .join('\n');
}

/** Each nginx location that proxies to a compose service: location prefix -> service name. */
function nginxUpstreams(compose: ComposeFile): Map<string, string> {
  const text = nginxText(compose);
  const found = new Map<string, string>();
  for (const m of text.matchAll(/location\s+(\/[^\s{]*)\s*\{/g)) {
    const upstream = /set \$\w+ ([a-z][\w.-]*):\d+;/.exec(nginxBlock(text, `location ${m[1]}`));
    if (upstream && upstream[1] in compose.services) found.set(m[1], upstream[1]);
  }
  return found;
}

/** The Orthanc configuration a service mounts in /etc/orthanc (its JSON files merged, as the image merges them). */
function orthancConfig(service: ComposeService): any {
  return Object.assign({}, ...orthancConfigs(service).map((f) => readJsonc(f)));
}

/** The location nginx serves a path under, and the compose service behind it. */
function servedBy(compose: ComposeFile, path: string): { location?: string; service?: string } {
  const upstreams = nginxUpstreams(compose);
  const location = routedBy([...upstreams.keys()], path);
  return { location, service: location ? upstreams.get(location) : undefined };
}

// ---------------------------------------------------------------------------------------------------------------------

describe('deployment kit (docker/)', () => {
  it('ships exactly the four compose setups, each with a three-step README', () => {
    const found = readdirSync(DOCKER, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(DOCKER, d.name, 'docker-compose.yml')))
      .map((d) => d.name)
      .sort();
    expect(found).toEqual(EXPECTED_SETUPS);
    for (const name of found) {
      const readme = readFileSync(join(DOCKER, name, 'README.md'), 'utf8');
      const steps = [...readme.matchAll(/^## Step (\d)\b/gm)].map((m) => Number(m[1]));
      expect({ name, steps }).toEqual({ name, steps: [1, 2, 3] });
    }
  });

  it('needs docker-compose and nginx (installed by npm test as root)', () => {
    requireTool('docker-compose');
    requireTool('nginx');
    expect(run('docker-compose', ['version', '--short']).status).toBe(0);
  });

  it('commits only *.example secrets, whose values are all placeholders', () => {
    const tracked = execFileSync('git', ['ls-files', '--', 'docker'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const secretFiles = tracked.filter((f) => /\/secrets\//.test(f) || /(^|\/)\.env$/.test(f));
    for (const f of secretFiles) expect(f).toMatch(/\.example$/);
    for (const name of EXPECTED_SETUPS) {
      const dir = join(DOCKER, name, 'secrets');
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.example'))) {
        expect({ f, value: readFileSync(join(dir, f), 'utf8') }).toEqual({
          f,
          value: expect.stringContaining('change-me'),
        });
      }
    }
    // The ignore rules keep the real copies out of git and out of the image's build context.
    for (const path of ['docker/keycloak/secrets/SECRET_KEY', 'docker/keycloak-meddream/.env']) {
      expect({ path, ignored: run('git', ['check-ignore', '-q', path], { cwd: ROOT }).status }).toEqual({
        path,
        ignored: 0,
      });
    }
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(dockerignore).toMatch(/^docker\/\*\/secrets$/m);
    expect(dockerignore).toMatch(/^docker\/\*\/\.env$/m);
  });

  it('has a multi-stage, non-root Dockerfile with a /health HEALTHCHECK, port 8000 and a data volume', () => {
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    // A `# syntax=` line makes BuildKit fetch a frontend image: the build would fail without registry access.
    expect(dockerfile).not.toMatch(/^#\s*syntax=/im);
    // The image's Node line is the one package.json says is supported (and CI tests on: .ci/run, scripts/fetch-node.sh).
    const engines: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node;
    expect(engines).toBe(`^${/^ARG NODE_IMAGE=node:(\d+)\./m.exec(dockerfile)![1]}.11.0`);
    expect(dockerfile).toMatch(/RUN .*npm ci /);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8000$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(dockerfile).toMatch(/^COPY .*config \.\/config$/m);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    // The image runs the service exactly as `npm run start:prod` does (same node flags, same entry point).
    const startProd: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
    // (`exec`: the script's shell becomes node, so that npm's SIGTERM reaches the service.)
    expect(JSON.parse(cmd![1])).toEqual(startProd.replace(/^exec /, '').split(' '));
    expect(JSON.parse(cmd![1]).at(-1)).toBe('dist/apps/auth-service/src/main.js');
    // That entry point is the compiled form of the app's main.ts (nest build keeps the source layout under dist/).
    expect(existsSync(join(ROOT, 'apps/auth-service/src/main.ts'))).toBe(true);
  });

  it('keeps the published port: relative redirects, Forwarded host with its port, one variable for port and address', () => {
    for (const name of EXPECTED_SETUPS) {
      const conf = readFileSync(join(DOCKER, name, 'nginx', 'default.conf'), 'utf8');
      // `return 302 /path` is made absolute with nginx's own port (80) unless absolute_redirect is off.
      expect({ name, relative: /^\s*absolute_redirect off;$/m.test(conf) }).toEqual({ name, relative: true });
      // $host drops the port: Orthanc's DICOMweb would answer with URLs on port 80.
      expect({ name, hostOnly: /Forwarded[^\n]*\$host\b/.test(conf) }).toEqual({ name, hostOnly: false });
      expect({ name, forwarded: /host=\$http_host"/.test(conf) }).toEqual({ name, forwarded: true });
      const yml = readFileSync(join(DOCKER, name, 'docker-compose.yml'), 'utf8');
      expect({ name, port: yml.includes('ports: ["${HTTP_PORT:-80}:80"]') }).toEqual({ name, port: true });
      expect({ name, hardCoded: /"http:\/\/localhost[/"]/.test(yml) }).toEqual({ name, hardCoded: false });
      const readme = readFileSync(join(DOCKER, name, 'README.md'), 'utf8');
      expect({ name, v1: readme.includes('docker-compose up -d --build') }).toEqual({ name, v1: true });
    }
  });

  it('lists every pinned image once in docker/VERSIONS.md, at the tag the compose files use', () => {
    const table = readFileSync(join(DOCKER, 'VERSIONS.md'), 'utf8');
    const listed = new Map(
      [...table.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]] as [string, string]),
    );
    expect(listed.size).toBeGreaterThan(0);
    const used = new Set<string>();
    for (const name of EXPECTED_SETUPS) {
      for (const [svc, def] of Object.entries(resolvedCompose(setupOf(name)).services)) {
        if (svc === AUTH_SERVICE) continue;
        const [, image, tag] = /^(.+):([^:/]+)$/.exec(def.image ?? '') ?? [];
        expect({ name, svc, image, tag }).toEqual({ name, svc, image, tag: listed.get(image) });
        used.add(image);
      }
    }
    expect([...listed.keys()].sort()).toEqual([...used].sort());
  });

  it('has in its image what `npm run shares` needs: npm, the package scripts and the built CLI', () => {
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.search(/^FROM \$\{NODE_IMAGE\} AS runtime$/m));
    expect(runtime.length).toBeLessThan(dockerfile.length);
    // The official Node.js images ship npm beside node; the runtime stage is one of them.
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+[-\w.]*$/m);
    expect(runtime).toMatch(/^COPY .*package\.json \.\/$/m);
    expect(runtime).toMatch(/^COPY --from=build .*\/src\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    // The script runs the compiled CLI, whose source is the one the READMEs' commands are tested with. In a clone it
    // builds first; the image has no scripts/ (nor the build tools) and runs its dist/ as it is.
    const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.shares;
    expect(script).toBe(
      '{ [ ! -e scripts/build-if-changed.mjs ] || node scripts/build-if-changed.mjs; } && node dist/apps/auth-service/src/cli/shares-cli.js',
    );
    expect(runtime).not.toMatch(/^COPY .*scripts/m);
    expect(existsSync(join(ROOT, 'apps/auth-service/src/cli/shares-cli.ts'))).toBe(true);
  });

  describe.each(EXPECTED_SETUPS)('%s', (name) => {
    const setup = setupOf(name);

    it('parses and resolves with docker-compose config -q', () => {
      requireTool('docker-compose');
      const r = run('docker-compose', [...setup.composeArgs, 'config', '-q'], { cwd: setup.dir, env: composeEnv() });
      expect({ status: r.status, out: r.out }).toEqual({ status: 0, out: expect.any(String) });
    });

    it('builds orthanc-auth from this repository, keeps it unpublished and pins every other image', () => {
      const compose = resolvedCompose(setup);
      const auth = compose.services[AUTH_SERVICE];
      expect(auth).toBeDefined();
      expect(auth.build?.context).toBe(ROOT);
      expect(auth.build?.dockerfile).toBe('docker/Dockerfile');
      expect(auth.ports ?? []).toEqual([]);
      for (const [svc, def] of Object.entries(compose.services)) {
        if (svc === AUTH_SERVICE) continue;
        expect({ svc, image: def.image }).toEqual({ svc, image: expect.stringMatching(/^[\w./-]+:\d[\w.-]*$/) });
      }
      // Only nginx publishes a port to the network; a demo tool (the keycloak setup's mail catcher) may publish on
      // the Docker host's loopback only.
      const published = Object.entries(compose.services)
        .filter(([, d]) => (d.ports ?? []).some((p) => !String(p).startsWith('127.0.0.1:')))
        .map(([s]) => s);
      expect(published).toEqual(['nginx']);
      expect(compose.services[AUTH_SERVICE].ports ?? []).toEqual([]);
    });

    it('gives every secret a committed *.example file and mounts none into the compose file itself', () => {
      const compose = resolvedCompose(setup);
      for (const [secret, def] of Object.entries(compose.secrets ?? {})) {
        expect({ secret, dir: dirname(def.file) }).toEqual({ secret, dir: join(setup.dir, 'secrets') });
        expect({ secret, example: existsSync(`${def.file}.example`) }).toEqual({ secret, example: true });
      }
      for (const [svc, def] of Object.entries(compose.services)) {
        for (const ref of secretRefs(def))
          expect({ svc, secret: ref.source in (compose.secrets ?? {}) }).toEqual({ svc, secret: true });
      }
      // No password-like value in any environment, except the ones this setup documents as coming from .env.
      const dotenv = existsSync(join(setup.dir, '.env.example'))
        ? readFileSync(join(setup.dir, '.env.example'), 'utf8')
        : '';
      const fromDotenv = new Set([...dotenv.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => m[2]));
      for (const [svc, def] of Object.entries(compose.services)) {
        for (const [k, v] of Object.entries(env(def))) {
          // *_SECRET (orthancteam/orthanc) and *_FILE variables name a file in /run/secrets, not a value.
          if (/_SECRET$|_FILE$/.test(k)) {
            // The orthancteam/orthanc image maps each secret file to one setting: two *_SECRET variables naming the
            // same file would leave one of the two settings unset, silently.
            const sameFile = Object.entries(env(def)).filter(([k2, v2]) => k2 !== k && /_SECRET$/.test(k2) && v2 === v);
            expect({ svc, k, sameFile }).toEqual({ svc, k, sameFile: [] });
            expect({ svc, k, file: v }).toEqual({
              svc,
              k,
              file: expect.stringMatching(/^(\/run\/secrets\/)?[\w.-]+$/),
            });
            continue;
          }
          if (/PASSWORD|PWD|SECRET|^USERS$|REGISTERED_USERS$/.test(k)) {
            const fromEnvFile = [...fromDotenv].some((val) => val && v.includes(val));
            expect({ svc, k, fromEnvFile }).toEqual({ svc, k, fromEnvFile: true });
          }
        }
      }
    });

    it('has nginx configs that pass nginx -t and route to orthanc-auth only its write guard (internally) and share page', () => {
      const compose = resolvedCompose(setup);
      const confs = bindMounts(compose.services.nginx).filter((m) => m.target.startsWith('/etc/nginx/'));
      expect(confs.length).toBeGreaterThan(0);
      for (const conf of confs) {
        const r = nginxTest(conf.source);
        expect({ conf: relative(ROOT, conf.source), status: r.status, out: r.out }).toEqual({
          conf: relative(ROOT, conf.source),
          status: 0,
          out: '',
        });
        const active = readFileSync(conf.source, 'utf8').replace(/#.*$/gm, '');
        // orthanc-auth only as the write guard: an internal location (auth_request subrequests only), on the
        // guard's own listener (docs/PROTOCOL.md section 12).
        const guard = nginxBlock(active, 'location = /_orthanc_write_guard');
        expect(guard).toMatch(/^\s*internal;$/m);
        const guardPort = env(compose.services[AUTH_SERVICE]).WRITE_GUARD_PORT;
        // ... which orthanc-auth opens, on every interface of its container (nginx is another container).
        expect(loadWriteGuardConfig(env(compose.services[AUTH_SERVICE]), { port: 8000 })).toEqual({
          port: Number(guardPort),
          host: '0.0.0.0',
        });
        expect(guard).toMatch(new RegExp(`set \\$write_guard_upstream orthanc-auth:${guardPort};`));
        // ... and its share page (protected links): /share/ only, passed as it is, with the client's address in
        // X-Forwarded-For replaced (never appended to what the client sent), which orthanc-auth believes from the
        // compose network only.
        const share = nginxBlock(active, 'location /share/');
        expect(share).toMatch(/set \$share_page_upstream orthanc-auth:8000;/);
        expect(share).toMatch(/proxy_pass http:\/\/\$share_page_upstream;/);
        expect(share).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
        expect(env(compose.services[AUTH_SERVICE]).PUBLIC_SHARE_PAGE_ROOT).toMatch(/^https?:\/\/[^/]+\/share\/$/);
        // ... from nginx's own fixed address only, never whole private ranges (issue 24): another container, or every
        // client behind an outer balancer, must not choose the address the lockouts count.
        const nginxNetworks = (compose.services.nginx.networks ?? {}) as Record<string, { ipv4_address?: string }>;
        const nginxAddress = nginxNetworks.default?.ipv4_address;
        expect(nginxAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(env(compose.services[AUTH_SERVICE]).SHARE_TRUSTED_PROXIES).toBe(nginxAddress);
        expect(active.replace(guard, '').replace(share, '')).not.toMatch(/orthanc-auth|meddream-token-service/);
      }
    });

    it('has Orthanc JSON files (comments allowed) that point the authorization plugin at orthanc-auth', () => {
      const compose = resolvedCompose(setup);
      const users = JSON.parse(exampleSecret(compose, 'USERS')) as Record<string, string>;
      const orthancs = Object.entries(compose.services).filter(([, d]) => orthancConfigs(d).length > 0);
      expect(orthancs.length).toBeGreaterThan(0);
      let checked = 0;
      for (const [svc, def] of orthancs) {
        for (const file of orthancConfigs(def)) {
          const config = readJsonc(file);
          const authz = config.Authorization;
          if (!authz) continue;
          checked++;
          const root: string | undefined = authz.WebServiceRootUrl ?? authz.WebServiceTokenCreationBaseUrl;
          expect({ svc, root }).toEqual({ svc, root: expect.stringMatching(/^http:\/\/orthanc-auth:8000\//) });
          if (authz.WebServiceRootUrl) {
            expect(authz.WebServiceRootUrl).toBe('http://orthanc-auth:8000/');
            expect(authz.CheckedLevel).toBe('studies');
            expect(authz.StandardConfigurations).toEqual(
              expect.arrayContaining(['stone-webviewer', 'orthanc-explorer-2']),
            );
          }
          // The plugin's login is one of orthanc-auth's USERS, and its password (a secret) is that login's password.
          const login = authz.WebServiceUsername as string;
          expect(Object.keys(users)).toContain(login);
          expect(authz.WebServicePassword).toBeUndefined();
          const secretName = env(def).ORTHANC__AUTHORIZATION__WEB_SERVICE_PASSWORD_SECRET;
          expect(exampleSecret(compose, secretSource(def, secretName))).toBe(users[login]);
        }
      }
      expect(checked).toBeGreaterThan(0);
    });

    it('routes through nginx every public URL it hands out', () => {
      const compose = resolvedCompose(setup);
      const locations = bindMounts(compose.services.nginx)
        .filter((m) => m.target.startsWith('/etc/nginx/'))
        .flatMap((m) => nginxLocations(m.source));
      const authEnv = env(compose.services[AUTH_SERVICE]);
      const publicUrls = Object.entries(authEnv).filter(([k]) => k.startsWith('PUBLIC_'));
      expect(publicUrls.length).toBeGreaterThan(0);
      for (const [k, url] of publicUrls)
        expect({ k, routedBy: routedBy(locations, pathOf(url)) }).toEqual({ k, routedBy: expect.any(String) });
      for (const [, def] of Object.entries(compose.services)) {
        for (const file of orthancConfigs(def)) {
          const kc = readJsonc(file).OrthancExplorer2?.Keycloak;
          if (kc?.Enable) expect(routedBy(locations, pathOf(kc.Url))).toBe('/keycloak/');
        }
      }
    });

    it("serves each Orthanc's DICOMweb and OHIF under the path nginx gives it, as the URLs handed out say", () => {
      const compose = resolvedCompose(setup);
      const upstreams = nginxUpstreams(compose);
      const orthancs = [...upstreams].filter(([, svc]) => orthancConfigs(compose.services[svc]).length > 0);
      expect(orthancs.length).toBeGreaterThan(0);
      for (const [location, svc] of orthancs) {
        const config = orthancConfig(compose.services[svc]);
        // DICOMweb answers carry URLs under PublicRoot: it must be the path browsers reach this Orthanc by.
        expect({ svc, publicRoot: config.DicomWeb?.PublicRoot }).toEqual({ svc, publicRoot: `${location}dicom-web/` });
        // The OHIF plugin's router only knows its base path: behind a prefix it must say so, or OHIF shows nothing.
        if (env(compose.services[svc]).OHIF_PLUGIN_ENABLED === 'true') {
          expect({ svc, ohif: config.OHIF }).toEqual({
            svc,
            ohif: { DataSource: 'dicom-web', RouterBasename: `${location}ohif` },
          });
        } else {
          expect({ svc, ohif: config.OHIF }).toEqual({ svc, ohif: undefined });
        }
      }
      // Every OHIF URL handed out (OE2's "open in OHIF" button, orthanc-auth's OHIF links) is an OHIF plugin's base.
      const ohifUrls: Array<[string, string]> = [];
      const authOhif = env(compose.services[AUTH_SERVICE]).PUBLIC_OHIF_ROOT;
      if (authOhif) ohifUrls.push(['PUBLIC_OHIF_ROOT', authOhif]);
      for (const [svc, def] of Object.entries(compose.services)) {
        const ui = orthancConfig(def).OrthancExplorer2?.UiOptions;
        if (ui?.EnableOpenInOhifViewer3) ohifUrls.push([`${svc} OhifViewer3PublicRoot`, ui.OhifViewer3PublicRoot]);
      }
      for (const [what, url] of ohifUrls) {
        const { service } = servedBy(compose, pathOf(url));
        expect({ what, service }).toEqual({ what, service: expect.any(String) });
        const config = orthancConfig(compose.services[service!]);
        expect({ what, path: pathOf(url) }).toEqual({ what, path: `${config.OHIF?.RouterBasename}/` });
      }
      // Share links opening OHIF are checked by the Orthanc that serves them, whose plugin must know OHIF's requests.
      if (authOhif) {
        const authz = orthancConfig(compose.services[servedBy(compose, pathOf(authOhif)).service!]).Authorization;
        expect(authz.StandardConfigurations).toContain('ohif');
      }
    });

    it('keeps the index of every Orthanc in the PostgreSQL of the setup, reached on a network they share', () => {
      const compose = resolvedCompose(setup);
      const orthancs = Object.entries(compose.services).filter(([, d]) => d.image?.startsWith('orthancteam/orthanc:'));
      expect(orthancs.length).toBeGreaterThan(0);
      const networksOf = (d: ComposeService) =>
        Array.isArray(d.networks) ? d.networks : Object.keys(d.networks ?? { default: null });
      for (const [svc, def] of orthancs) {
        const e = env(def);
        const db = compose.services[e.ORTHANC__POSTGRESQL__HOST];
        expect({ svc, dbImage: db?.image }).toEqual({ svc, dbImage: expect.stringMatching(/^postgres:/) });
        expect(networksOf(def).filter((n) => networksOf(db).includes(n)).length).toBeGreaterThan(0);
        expect(e.ORTHANC__POSTGRESQL__USERNAME).toBe(env(db).POSTGRES_USER);
        // The same password: the secret Orthanc reads is the one PostgreSQL was initialised with.
        expect(`/run/secrets/${e.ORTHANC__POSTGRESQL__PASSWORD_SECRET}`).toBe(env(db).POSTGRES_PASSWORD_FILE);
        expect(secretRefs(def).map((r) => r.target)).toContain(e.ORTHANC__POSTGRESQL__PASSWORD_SECRET);
      }
    });

    it("sends OE2's share e-mails through orthanc-auth exactly when orthanc-auth sends e-mails", () => {
      const compose = resolvedCompose(setup);
      const authEnv = env(compose.services[AUTH_SERVICE]);
      const users = JSON.parse(exampleSecret(compose, 'USERS')) as Record<string, string>;
      const byEmail = Object.entries(compose.services).filter(
        ([, d]) => orthancConfig(d).OrthancExplorer2?.UiOptions?.EnableSharesByEmail,
      );
      expect(authEnv.ENABLE_EMAILS === 'true').toBe(byEmail.length > 0);
      for (const [svc, def] of byEmail) {
        const oe2 = orthancConfig(def).OrthancExplorer2;
        expect(oe2.Emails.Server).toEqual({ Url: 'http://orthanc-auth:8000/emails/', Username: expect.any(String) });
        // OE2's login to orthanc-auth is one of its USERS, its password that login's (a secret, never in the file).
        const secretName = env(def).ORTHANC__ORTHANC_EXPLORER_2__EMAILS__SERVER__PASSWORD_SECRET;
        expect({ svc, secretName }).toEqual({ svc, secretName: expect.any(String) });
        expect(exampleSecret(compose, secretSource(def, secretName))).toBe(users[oe2.Emails.Server.Username]);
        expect(oe2.UiOptions).toMatchObject({
          ShareEmailContentTemplate: expect.any(String),
          ShareEmailLayoutTemplate: expect.any(String),
          ShareEmailTitle: expect.any(String),
        });
      }
      if (authEnv.ENABLE_EMAILS === 'true') {
        // The demo SMTP server: a service of this setup, listening where orthanc-auth sends, without TLS (MailDev has
        // none here), its web UI published on the Docker host's loopback only.
        const smtp = compose.services[authEnv.EMAILS_SMTP_SERVER_HOSTNAME];
        expect(smtp?.image).toMatch(/^maildev\/maildev:/);
        expect(env(smtp).MAILDEV_SMTP_PORT).toBe(authEnv.EMAILS_SMTP_SERVER_PORT);
        expect(authEnv.EMAILS_SMTP_SERVER_USES_TLS).toBe('false');
        expect(smtp.ports).toEqual([`127.0.0.1:${env(smtp).MAILDEV_WEB_PORT}:${env(smtp).MAILDEV_WEB_PORT}/tcp`]);
      }
    });

    if (name === 'keycloak-meddream') {
      it('gives the MedDream viewer a PACS type and a login of orthanc-for-api, which nginx serves at /orthanc-api/', () => {
        const compose = resolvedCompose(setup);
        const viewer = env(compose.services['meddream-viewer']);
        // The PACS type the compose file's comment describes, really set: Orthanc's REST API, no Python plugin.
        expect(viewer).toMatchObject({
          MEDDREAM_PACS_CONFIG_TYPE: 'Orthanc',
          ORTHANC_MEDDREAM_PYTHON_PLUGIN_ENABLED: 'false',
        });
        const pacs = new URL(viewer.ORTHANC_BASE_URL);
        expect(pacs.hostname).toBe('orthanc-for-api');
        expect(viewer.ORTHANC_HOSTNAME).toBe('orthanc-for-api');
        const api = compose.services['orthanc-for-api'];
        const logins = JSON.parse(env(api).ORTHANC__REGISTERED_USERS) as Record<string, string>;
        expect(Object.keys(logins).sort()).toEqual(['dicom-web-client-user', 'meddream', 'script-user']);
        expect(logins[viewer.ORTHANC_USER]).toBe(viewer.ORTHANC_PWD);
        expect(orthancConfig(api)).toMatchObject({ AuthenticationEnabled: true, DicomWeb: { Enable: true } });
        // No authorization plugin on it: its Basic logins are the whole access control.
        expect(orthancConfig(api).Authorization).toBeUndefined();
        expect(servedBy(compose, '/orthanc-api/dicom-web/studies')).toEqual({
          location: '/orthanc-api/',
          service: 'orthanc-for-api',
        });
      });
    }

    if (existsSync(join(setup.dir, 'inbox-plugin.py'))) {
      it("opens OE2's inbox to anonymous visitors, with the plugin routes it calls asking for upload", () => {
        const compose = resolvedCompose(setup);
        const [svc, def] = Object.entries(compose.services).find(([, d]) => orthancConfig(d).OrthancExplorer2?.Inbox)!;
        const config = orthancConfig(def);
        const inbox = config.OrthancExplorer2.Inbox;
        expect(inbox).toMatchObject({ Enable: true, EnableAnonymousAccess: true });
        const routes = [inbox.FormValidationUrl, inbox.CommitUrl, inbox.ProcessingMonitoringUrl] as string[];
        expect(config.Authorization.ExtraPermissions).toEqual(
          routes.map((r) => ['post', `^/${r}$`, expect.stringMatching(/^upload(\|all)?$/)]),
        );
        // The plugin script is mounted where Orthanc is told to load it, and registers exactly those routes with the
        // form's field ids and visit choices.
        const script = hostPath(def, config.PythonScript);
        expect({ svc, script }).toEqual({ svc, script: join(setup.dir, 'inbox-plugin.py') });
        const facts = execFileSync(
          'python3',
          [
            '-c',
            [
              'import ast, json, sys',
              'tree = ast.parse(open(sys.argv[1]).read())',
              'visits = [ast.literal_eval(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "VISITS"][0]',
              'routes = [n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "RegisterRestCallback"]',
              'fields = [ast.literal_eval(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "FORM_FIELDS"][0]',
              'print(json.dumps({"visits": visits, "routes": routes, "fields": sorted(fields)}))',
            ].join('\n'),
            script!,
          ],
          { encoding: 'utf8' },
        );
        const plugin = JSON.parse(facts) as { visits: string[]; routes: string[]; fields: string[] };
        expect(plugin.routes).toEqual(routes.map((r) => `/${r}`));
        const fields = inbox.FormFields as Array<{ Id: string; Type: string; Choices?: string[] }>;
        expect(fields.map((f) => f.Id).sort()).toEqual(plugin.fields);
        expect(fields.find((f) => f.Type === 'Choice')?.Choices).toEqual(plugin.visits);
        // The anonymous profile orthanc-auth reads is the setup's own file, mounted read-only.
        const authDef = compose.services[AUTH_SERVICE];
        const profile = hostPath(authDef, env(authDef).ANONYMOUS_PROFILE_FILE_PATH);
        expect(profile).toBe(join(setup.dir, 'anonymous-profile.json'));
        expect(readJsonc(profile!)).toEqual({
          name: 'Anonymous',
          permissions: ['upload'],
          'authorized-labels': [],
          validity: 60,
        });
      });
    }

    if (name !== 'basic-auth') {
      it('imports a Keycloak realm that matches Orthanc Explorer 2 and orthanc-auth', () => {
        const compose = resolvedCompose(setup);
        const keycloak = compose.services.keycloak;
        const realmMount = bindMounts(keycloak).find((m) => m.target.startsWith('/opt/keycloak/data/import/'));
        expect(realmMount).toBeDefined();
        const realm = JSON.parse(readFileSync(realmMount!.source, 'utf8'));
        expect(realm.realm).toBe('orthanc');
        expect(realm.roles.realm.map((r: { name: string }) => r.name)).toEqual(
          expect.arrayContaining(['admin-role', 'doctor-role', 'external-role']),
        );
        const user = (n: string) => realm.users.find((u: { username: string }) => u.username === n);
        for (const [login, role] of [
          ['orthanc', 'admin-role'],
          ['doctor', 'doctor-role'],
          ['external', 'external-role'],
        ]) {
          expect(user(login)?.realmRoles).toEqual([role, 'default-roles-orthanc']);
          expect(user(login)?.credentials).toEqual([expect.objectContaining({ type: 'password', temporary: true })]);
        }
        // The roles file orthanc-auth starts from (the image's config/permissions.json, no PERMISSIONS_FILE_PATH):
        // the external user's role sees only the studies labelled "external", and only views and downloads them.
        expect(env(compose.services[AUTH_SERVICE]).PERMISSIONS_FILE_PATH).toBeUndefined();
        const roles = readJsonc(join(ROOT, 'config', 'permissions.json')).roles;
        expect(roles['external-role']).toEqual({
          permissions: ['view', 'download'],
          'authorized-labels': ['external'],
        });
        const client = (id: string) => realm.clients.find((c: { clientId: string }) => c.clientId === id);
        expect(client('orthanc')).toMatchObject({ publicClient: true, standardFlowEnabled: true });
        expect(client('orthanc').protocolMappers).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              protocolMapper: 'oidc-group-membership-mapper',
              config: expect.objectContaining({ 'claim.name': 'groups' }),
            }),
          ]),
        );
        // admin-cli: confidential service account that may read realm roles and users; its secret is the placeholder
        // that Keycloak fills from the KEYCLOAK_CLIENT_SECRET secret, the same file orthanc-auth reads.
        expect(client('admin-cli')).toMatchObject({
          publicClient: false,
          serviceAccountsEnabled: true,
          secret: '${KEYCLOAK_CLIENT_SECRET}',
        });
        expect(user('service-account-admin-cli')).toMatchObject({
          serviceAccountClientId: 'admin-cli',
          clientRoles: { 'realm-management': expect.arrayContaining(['view-realm', 'view-users']) },
        });
        expect(secretRefs(keycloak).map((s) => s.target)).toContain('KEYCLOAK_CLIENT_SECRET');
        expect(secretRefs(compose.services[AUTH_SERVICE]).map((s) => s.target)).toContain('KEYCLOAK_CLIENT_SECRET');
        // Orthanc Explorer 2 logs in with that realm and public client; orthanc-auth reads tokens of that realm.
        for (const [, def] of Object.entries(compose.services)) {
          for (const file of orthancConfigs(def)) {
            const kc = readJsonc(file).OrthancExplorer2?.Keycloak;
            if (!kc) continue;
            expect(kc).toMatchObject({ Enable: true, Realm: realm.realm, ClientId: 'orthanc' });
          }
        }
        // orthanc-auth discovers the realm on the internal URL and expects the issuer browsers' tokens carry: the
        // realm under Keycloak's public hostname.
        const authEnv = env(compose.services[AUTH_SERVICE]);
        expect(authEnv.KEYCLOAK_URI).toMatch(new RegExp(`^http://keycloak:8080/realms/${realm.realm}/?$`));
        const hostname = env(keycloak).KC_HOSTNAME;
        expect(authEnv.KEYCLOAK_ISSUER).toBe(`${hostname.replace(/\/+$/, '')}/realms/${realm.realm}`);
      });
    }

    if (name !== 'basic-auth') {
      it('starts Keycloak only with its secrets exported from /run/secrets, and refuses an empty one', () => {
        const compose = resolvedCompose(setup);
        const entrypoint = compose.services.keycloak.entrypoint as string[];
        expect(entrypoint.slice(0, 2)).toEqual(['/bin/bash', '-c']);
        const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-kc-'));
        try {
          const secrets = join(work, 'secrets');
          mkdirSync(secrets);
          const kc = join(work, 'kc.sh');
          writeFileSync(kc, '#!/bin/sh\necho "ARGS=$*"\nenv\n', { mode: 0o755 });
          // As compose runs it: "$$" unescaped to "$"; here with the secrets folder and kc.sh swapped for stand-ins.
          const script = entrypoint[2]
            .replace(/\$\$/g, '$')
            .replace(/\/run\/secrets/g, secrets)
            .replace('/opt/keycloak/bin/kc.sh', kc);
          const names = ['keycloak-admin-password', 'keycloak-db-password', 'KEYCLOAK_CLIENT_SECRET'];
          for (const n of names) writeFileSync(join(secrets, n), `value-of-${n}\n`);
          const ok = run('/bin/bash', ['-c', script], { env: { PATH: process.env.PATH } });
          expect(ok.status).toBe(0);
          expect(ok.stdout).toContain('ARGS=start --import-realm');
          expect(ok.stdout).toContain('KC_BOOTSTRAP_ADMIN_PASSWORD=value-of-keycloak-admin-password\n');
          expect(ok.stdout).toContain('KC_DB_PASSWORD=value-of-keycloak-db-password\n');
          // The realm file's placeholder is exactly the variable exported from orthanc-auth's secret file.
          expect(ok.stdout).toContain('KEYCLOAK_CLIENT_SECRET=value-of-KEYCLOAK_CLIENT_SECRET\n');
          writeFileSync(join(secrets, 'KEYCLOAK_CLIENT_SECRET'), '');
          const refused = run('/bin/bash', ['-c', script], { env: { PATH: process.env.PATH } });
          expect(refused.status).toBe(1);
          expect(refused.out).toContain('secret KEYCLOAK_CLIENT_SECRET is missing or empty');
          expect(refused.out).not.toContain('ARGS=');
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      });
    }

    describe('orthanc-auth with the environment and example secrets of this setup', () => {
      let work: string;
      let serviceEnv: Record<string, string>;

      beforeAll(() => {
        const compose = resolvedCompose(setup);
        const auth = compose.services[AUTH_SERVICE];
        work = mkdtempSync(join(tmpdir(), `orthanc-auth-deploy-${name}-`));
        const secretsDir = join(work, 'secrets');
        mkdirSync(secretsDir);
        // README step 1, as Docker then mounts it: /run/secrets/<target> holds the (here: example) secret file.
        for (const ref of secretRefs(auth))
          copyFileSync(`${compose.secrets![ref.source].file}.example`, join(secretsDir, ref.target));
        // Files the setup mounts into the container (e.g. its anonymous profile) are read from where they are here.
        const mapped = Object.fromEntries(
          Object.entries(env(auth)).map(([k, v]) => [k, v.startsWith('/') ? (hostPath(auth, v) ?? v) : v]),
        );
        serviceEnv = {
          ...mapped,
          SECRETS_DIR: secretsDir,
          // The container's /data volume, here a fresh folder.
          DATA_DIR: join(work, 'data'),
        };
        // The container's own port for the write guard is checked below; here a free one (suites run side by side).
        if (serviceEnv.WRITE_GUARD_PORT) serviceEnv.WRITE_GUARD_PORT = '0';
        expect(env(auth).DATA_DIR).toBe('/data');
      });

      afterAll(() => {
        if (work) rmSync(work, { recursive: true, force: true });
      });

      it('passes the configuration of every module, loaded as main loads it (every registerAs namespace)', async () => {
        const config = await loadAppConfig({ env: serviceEnv, envFile: false });
        const modules = Object.keys(config).filter((k) => k !== 'secrets' && k !== 'consulted');
        expect(modules.sort()).toEqual(
          [
            'core',
            'emails',
            'keycloak',
            'meddream',
            'ops',
            'permissions',
            'shares',
            'sharePage',
            'tokens',
            'writeGuard',
          ].sort(),
        );
        expect(config.core.dataDir).toBe(serviceEnv.DATA_DIR);
      });

      it('answers Orthanc what this setup asks of it: the e-mail templates OE2 names, the anonymous profile', async () => {
        const compose = resolvedCompose(setup);
        const app = await startApp({ ...serviceEnv, USERS: '', SECRET_KEY: '' });
        try {
          const [login, password] = Object.entries(JSON.parse(exampleSecret(compose, 'USERS')))[0] as string[];
          const auth = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
          for (const [svc, def] of Object.entries(compose.services)) {
            const ui = orthancConfig(def).OrthancExplorer2?.UiOptions;
            if (!ui?.EnableSharesByEmail) continue;
            for (const name of [ui.ShareEmailContentTemplate, ui.ShareEmailLayoutTemplate]) {
              const res = await call(app.url, 'GET', `/emails/templates/${name}`, undefined, { auth });
              expect({ svc, name, status: res.status }).toEqual({ svc, name, status: 200 });
            }
            const layout = await call(app.url, 'GET', `/emails/templates/${ui.ShareEmailLayoutTemplate}`, undefined, {
              auth,
            });
            expect(layout.text).toContain('{email-content}');
          }
          // A request without a user token, as the plugin asks for an anonymous visitor (PROTOCOL.md section 13).
          const anonymous = await call(
            app.url,
            'POST',
            '/user/get-profile',
            { 'token-key': '', 'token-value': '' },
            { auth },
          );
          expect(anonymous.status).toBe(200);
          const file = env(compose.services[AUTH_SERVICE]).ANONYMOUS_PROFILE_FILE_PATH;
          const expected = file
            ? readJsonc(hostPath(compose.services[AUTH_SERVICE], file)!)
            : readJsonc(join(ROOT, 'config', 'anonymous-profile.json'));
          expect(anonymous.body).toMatchObject({
            name: expected.name,
            permissions: expected.permissions,
            'authorized-labels': expected['authorized-labels'],
            validity: expected.validity,
          });
          // Only the inbox setup lets anonymous visitors do anything: upload.
          expect(anonymous.body.permissions).toEqual(name === 'keycloak-inbox' ? ['upload'] : []);
        } finally {
          await app.close();
        }
      });

      if (name === 'keycloak') {
        it("sends OE2's share e-mail with exactly these SMTP settings to a server set up as MailDev's", async () => {
          const compose = resolvedCompose(setup);
          const authEnv = env(compose.services[AUTH_SERVICE]);
          const ui = orthancConfig(compose.services.orthanc).OrthancExplorer2.UiOptions;
          // MailDev's SMTP side (smtp-server, as MailDev uses it): no STARTTLS offered, no login asked.
          const received: Array<{ from?: string; to: string[]; data: string }> = [];
          const smtp = new SMTPServer({
            secure: false,
            authOptional: true,
            disabledCommands: ['STARTTLS', 'AUTH'],
            logger: false,
            onData(stream, session, callback) {
              let data = '';
              stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
              stream.on('end', () => {
                const from = session.envelope.mailFrom;
                received.push({
                  from: from ? from.address : undefined,
                  to: session.envelope.rcptTo.map((r) => r.address),
                  data,
                });
                callback();
              });
            },
          });
          await new Promise<void>((done) => smtp.listen(0, '127.0.0.1', done));
          let app: Awaited<ReturnType<typeof startApp>> | undefined;
          try {
            const port = String((smtp.server.address() as { port: number }).port);
            expect(authEnv.EMAILS_SMTP_SERVER_PORT).toBe('1025');
            // Only the address differs: the catcher is smtp-mock:1025 in the compose network, 127.0.0.1 here.
            app = await startApp({
              ...serviceEnv,
              USERS: '',
              SECRET_KEY: '',
              EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
              EMAILS_SMTP_SERVER_PORT: port,
            });
            const [login, password] = Object.entries(JSON.parse(exampleSecret(compose, 'USERS')))[0] as string[];
            const res = await call(
              app.url,
              'POST',
              '/emails/send',
              {
                'destination-email': 'patient@example.org',
                'email-title': ui.ShareEmailTitle,
                'email-content': '<p><a href="http://localhost/orthanc/ui/app/token-landing.html?token=t">open</a></p>',
                'layout-template': ui.ShareEmailLayoutTemplate,
              },
              { auth: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` },
            );
            expect(res).toMatchObject({ status: 200, body: { success: true, details: null } });
            expect(received).toHaveLength(1);
            expect(received[0]).toMatchObject({ from: 'imaging@example.org', to: ['patient@example.org'] });
            expect(received[0].data).toContain(`Subject: ${ui.ShareEmailTitle}`);
            expect(received[0].data).toMatch(/^From: My Hospital <imaging@example\.org>/m);
          } finally {
            await app?.close();
            await new Promise<void>((done) => smtp.close(() => done()));
          }
        });
      }

      it("runs the README's share commands on the service's storage, revocations included", async () => {
        const compose = resolvedCompose(setup);
        const readme = readFileSync(join(setup.dir, 'README.md'), 'utf8');
        const commands = [
          ...readme.matchAll(/^docker compose exec orthanc-auth npm run --silent shares -- (.+)$/gm),
        ].map((m) => (m[1].match(/'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^'(.*)'$/, '$1')));
        expect(commands.map((c) => c[0])).toEqual(['list', 'list', 'show', 'revoke', 'revoke-token']);
        // The container's environment: the same variables, secrets in /run/secrets (here SECRETS_DIR), NODE_ENV
        // production, what `docker compose exec` gives the command.
        const cliEnv = { ...serviceEnv, USERS: '', SECRET_KEY: '' };
        const app = await startApp(cliEnv);
        try {
          const [login, password] = Object.entries(JSON.parse(exampleSecret(compose, 'USERS')))[0] as string[];
          const auth = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
          const share = async () => {
            const res = await call(
              app.url,
              'PUT',
              '/tokens/stone-viewer-publication',
              {
                resources: [{ 'dicom-uid': '1.2.840.113619.2.55.3.1', 'orthanc-id': ORTHANC_STUDY, level: 'study' }],
                type: 'stone-viewer-publication',
                'validity-duration': 3600,
              },
              { auth },
            );
            expect(res.status).toBe(200);
            return res.body.token as string;
          };
          const granted = async (token: string) =>
            (
              await call(
                app.url,
                'POST',
                '/tokens/validate',
                {
                  'dicom-uid': '1.2.840.113619.2.55.3.1',
                  'orthanc-id': ORTHANC_STUDY,
                  level: 'study',
                  method: 'get',
                  'token-key': 'token',
                  'token-value': token,
                },
                { auth },
              )
            ).body.granted as boolean;
          const byId = await share();
          const byToken = await share();
          const id = JSON.parse(Buffer.from(byId.split('.')[1], 'base64url').toString('utf8')).share_id as string;
          const args = (c: string[]) =>
            c.map((a) => (a === '<id>' ? id : a.startsWith('<the token') ? byToken : a)).filter(Boolean);
          const reads = await Promise.all(commands.slice(0, 3).map((c) => sharesCli(args(c), cliEnv)));
          for (const [i, r] of reads.entries()) expect({ command: commands[i], ...r }).toMatchObject({ code: 0 });
          expect(reads[0].out).toContain(id);
          // `shares show` prints a table for people (`--json` is for scripts): the share and its status are on it.
          expect(reads[2].out).toContain(id);
          expect(reads[2].out).toMatch(/\bactive\b/);
          const writes = await Promise.all(commands.slice(3).map((c) => sharesCli(args(c), cliEnv)));
          for (const [i, r] of writes.entries()) expect({ command: commands[3 + i], ...r }).toMatchObject({ code: 0 });
          // The running service learns of both revocations (another process wrote them) and refuses both links.
          const deadline = Date.now() + 15_000;
          while ((await granted(byId)) || (await granted(byToken))) {
            if (Date.now() > deadline) throw new Error('the service still grants a link revoked by the CLI');
            await new Promise((r) => setTimeout(r, 100));
          }
        } finally {
          await app.close();
        }
      }, 120_000);

      it('starts in production on its secrets, answers the image HEALTHCHECK and makes links nginx serves', async () => {
        const compose = resolvedCompose(setup);
        // USERS and SECRET_KEY only from the secrets folder: empty variables count as absent.
        const app = await startApp({ ...serviceEnv, USERS: '', SECRET_KEY: '' });
        try {
          const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
          const probe = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
          expect(probe).not.toBeNull();
          const [cmd, ...args] = JSON.parse(probe![1]) as string[];
          expect(cmd).toBe('node');
          const port = new URL(app.url).port;
          expect(await runAsync(process.execPath, args, { PATH: process.env.PATH, PORT: port })).toBe(0);
          // Nothing listens on port 1: the probe reports unhealthy.
          expect(await runAsync(process.execPath, args, { PATH: process.env.PATH, PORT: '1' })).toBe(1);

          const users = JSON.parse(exampleSecret(compose, 'USERS')) as Record<string, string>;
          const [login, password] = Object.entries(users)[0];
          const auth = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
          expect(
            (
              await call(
                app.url,
                'PUT',
                '/tokens/stone-viewer-publication',
                {},
                { auth: 'Basic c2hhcmUtdXNlcjpjaGFuZ2UtbWU=' },
              )
            ).status,
          ).toBe(401);

          const locations = bindMounts(compose.services.nginx)
            .filter((m) => m.target.startsWith('/etc/nginx/'))
            .flatMap((m) => nginxLocations(m.source));
          const shareTypes = new Set<string>(['stone-viewer-publication']);
          for (const [, def] of Object.entries(compose.services)) {
            for (const file of orthancConfigs(def)) {
              const type = readJsonc(file).OrthancExplorer2?.Tokens?.ShareType;
              if (type) shareTypes.add(type);
            }
          }
          for (const type of shareTypes) {
            const res = await call(
              app.url,
              'PUT',
              `/tokens/${type}`,
              {
                id: 'deploy-check',
                resources: [
                  {
                    'dicom-uid': '1.2.840.113619.2.55.3',
                    'orthanc-id': '6e2c0ec2-5d99c8ca-c1c21cee-79a09605-68391d12',
                    level: 'study',
                  },
                ],
                type,
                'expiration-date': null,
                'validity-duration': 3600,
              },
              { auth },
            );
            expect({ type, status: res.status }).toEqual({ type, status: 200 });
            expect(typeof res.body.token).toBe('string');
            expect({ type, routedBy: routedBy(locations, pathOf(res.body.url)) }).toEqual({
              type,
              routedBy: expect.any(String),
            });
          }
        } finally {
          await app.close();
        }
      });
    });
  });

  it('nginx -t really rejects a broken config (the check above can fail)', () => {
    const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-nginx-bad-'));
    try {
      const bad = join(work, 'bad.conf');
      writeFileSync(bad, 'server { listen 80; location /orthanc/ { proxy_pass ; } }\n');
      expect(nginxTest(bad).status).not.toBe(0);
      const unresolved = join(work, 'static-upstream.conf');
      writeFileSync(
        unresolved,
        'server { listen 80; location /x/ { proxy_pass http://no-such-host.invalid:8042/; } }\n',
      );
      expect(nginxTest(unresolved).status).not.toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('docker-compose config really rejects a broken compose file (the check above can fail)', () => {
    requireTool('docker-compose');
    const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-compose-bad-'));
    try {
      writeFileSync(
        join(work, 'docker-compose.yml'),
        'services:\n  x:\n    image: nginx:1.28-alpine\n    ports: 80\n    secrets: [missing]\n',
      );
      const r = run('docker-compose', ['-f', join(work, 'docker-compose.yml'), 'config', '-q'], {
        cwd: work,
        env: composeEnv(),
      });
      expect(r.status).not.toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
