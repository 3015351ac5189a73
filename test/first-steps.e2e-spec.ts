/**
 * The first hour of a new user (issue 27): README's first lines do all their own set-up, the scripts that run the
 * built service build it first, and no dependency's install script runs unless package.json allows it (the
 * telemetry of @scarf/scarf never). Read from the files themselves, so that a change to one is seen here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  allowScripts: Record<string, boolean>;
  scarfSettings?: { enabled?: boolean };
};

describe("README's first lines", () => {
  const block = /^```sh\n([\s\S]*?)\n```/m.exec(read('README.md'))![1].split('\n');

  it('run and test with npm ci first, the test line being npm test (the command .ci/run runs)', () => {
    expect(block[0]).toMatch(/^npm ci && npm start +# /);
    expect(block[1]).toMatch(/^npm ci && npm test +# /);
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('npm test installs the missing system peers itself, and its README line names each of them', () => {
    expect(pkg.scripts.test).toBe('bash scripts/test.sh');
    // Installing, not only checking: `--check` stops a fresh machine with a message instead.
    expect(read('scripts/test.sh')).toMatch(/^bash scripts\/install-test-peers\.sh$/m);
    const list = /^PEERS=\(\n([\s\S]*?)\n\)/m.exec(read('scripts/install-test-peers.sh'))![1];
    const peers = [...list.matchAll(/^ {2}"(\S+) /gm)].map((m) => m[1]);
    expect(peers).toEqual(['docker-compose', 'nginx', 'glewlwyd', 'Orthanc', 'chromium']);
    for (const peer of peers) expect(block[1]).toContain(peer);
    expect(block[1]).toMatch(/sudo/);
    expect(block[1]).toMatch(/\d+ min/);
  });

  it('npm run test:unit is there, named as needing nothing installed, and runs only apps/ and libs/', () => {
    expect(block[2]).toMatch(/^npm ci && npm run test:unit +# .*nothing to install/);
    expect(pkg.scripts['test:unit']).toBe('jest libs apps');
  });
});

describe('package.json scripts', () => {
  it('every script that runs the built service (dist/) builds it first when the sources changed', () => {
    const runsDist = Object.entries(pkg.scripts).filter(([, command]) => /\bdist\/|bench\/|\bbench\b/.test(command));
    expect(runsDist.map(([name]) => name)).toEqual(
      expect.arrayContaining(['shares', 'bench', 'bench:registry', 'soak', 'start:prod']),
    );
    for (const [name, command] of runsDist) {
      // start:prod runs an image's dist/ as it is (the Docker image builds it); npm start wraps it with the build.
      if (name === 'start:prod') continue;
      // shares runs in the image too, which has no scripts/ (nor the build tools): there it runs dist/ as it is.
      const build =
        name === 'shares'
          ? '{ [ ! -e scripts/build-if-changed.mjs ] || node scripts/build-if-changed.mjs; }'
          : 'node scripts/build-if-changed.mjs';
      expect(command.startsWith(`${build} && `)).toBe(true);
    }
    expect(read('scripts/start.mjs')).toContain("'build-if-changed.mjs'");
  });

  it('npm run dev restarts the service from its sources on each change (node --watch, through swc)', () => {
    expect(pkg.scripts.dev).toBe('node --watch -r ./test/support/ts-register.cjs apps/auth-service/src/main.ts');
  });
});

describe('install scripts of the dependencies', () => {
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));

  it('every package with an install script is allowed or denied by name in allowScripts (npm 11.16+ runs none else)', () => {
    expect(withScripts).toContain('@scarf/scarf');
    expect(withScripts.filter((name) => !(name in pkg.allowScripts))).toEqual([]);
  });

  it("@scarf/scarf's telemetry never runs: denied, and turned off for npm versions that ignore allowScripts", () => {
    expect(pkg.allowScripts['@scarf/scarf']).toBe(false);
    expect(pkg.scarfSettings).toEqual({ enabled: false });
  });

  it('only what must run does: better-sqlite3 (its binary), @swc/core and @parcel/watcher (the build tools)', () => {
    expect(
      Object.entries(pkg.allowScripts)
        .filter(([, allowed]) => allowed)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['@parcel/watcher', '@swc/core', 'better-sqlite3']);
  });
});
