#!/usr/bin/env node
// `npm start` (and the benchmarks): build with `nest build` only when the build's inputs changed since the last build
// made here. The inputs are the TypeScript sources of apps/ and libs/ (specs excepted) and the build's own settings
// (tsconfig*.json, nest-cli.json, package.json, package-lock.json, scripts/bundle.mjs); their sha256, by path and content, is kept in
// dist/.build-inputs after a successful build. Content, not modification times: a git checkout that changes nothing
// rebuilds nothing, and an edit reverted within a second is still seen. `npm run build` always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');
const stampFile = join(root, 'dist', '.build-inputs');
const entry = join(root, 'dist', 'apps', 'auth-service', 'src', 'main.js');
const SETTINGS = [
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'package.json',
  'package-lock.json',
  'scripts/bundle.mjs',
];

function* sources(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* sources(path);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) yield path;
  }
}

function inputsHash() {
  const files = [...sources(join(root, 'apps')), ...sources(join(root, 'libs')), ...SETTINGS.map((f) => join(root, f))];
  const hash = createHash('sha256');
  for (const file of files.sort())
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const wanted = inputsHash();
const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : null;
if (built === wanted && existsSync(entry)) {
  process.stderr.write('build: dist/ is up to date with the sources, not rebuilding (npm run build forces it)\n');
  process.exit(0);
}
process.stderr.write(`build: ${built ? 'the sources changed' : 'no build yet'}: npm run build (a minute at most)...\n`);
const started = Date.now();
// What `npm run build` runs: nest build, then the bundle of the entry point.
const nest = spawnSync(join(root, 'node_modules', '.bin', 'nest'), ['build'], { cwd: root, stdio: 'inherit' });
if (nest.status !== 0) process.exit(nest.status ?? 1);
const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
if (bundle.status !== 0) process.exit(bundle.status ?? 1);
writeFileSync(stampFile, `${wanted}\n`);
process.stderr.write(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
