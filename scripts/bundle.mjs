#!/usr/bin/env node
// The last step of `npm run build`, after `nest build`: the service's entry point becomes one bundled file. Loading
// Nest 12's ESM packages file by file (some 2,000 modules resolved, read and compiled one by one) was more than half
// of the start-up's CPU time and of the memory at idle; one file is read and compiled at once (bench/RESULTS.md).
//
// dist/apps/auth-service/src/ then holds, besides tsc's output (which the shares CLI and the tests keep using):
// - service.bundle.js: main.js as tsc built it (kept as main.unbundled.js, for comparisons), with every dependency it imports, except those below;
// - main.js: the same entry path as before (npm run start:prod, the Docker image, cluster workers), which turns on
//   Node's compile cache (when Node has it) before it loads the bundle, so that a restart reuses the compiled code;
// - the registry's worker scripts, which the bundle starts from its own directory.
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const root = join(new URL('.', import.meta.url).pathname, '..');
const appDir = join(root, 'dist', 'apps', 'auth-service', 'src');
const storeDir = join(root, 'dist', 'libs', 'shares', 'src', 'store');

// Left to node_modules: the native driver; what a setting may load (pino-pretty, pg's native binding); the UI's
// static files, found from their package's directory; passport-http, which calls `new Buffer()` (Node warns about
// that from outside node_modules only, and a new warning line is a change); and the optional packages Nest imports
// only when a feature this service does not use is asked for (microservices, websockets, express, multipart...).
const external = [
  'better-sqlite3',
  'pg-native',
  'pino-pretty',
  'passport-http',
  'swagger-ui-dist',
  'class-transformer/storage',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/platform-express',
  '@fastify/static',
  '@fastify/view',
  '@fastify/multipart',
];

const LOADER_MARK = '// Written by scripts/bundle.mjs';
const started = Date.now();
// tsc's main.js becomes main.unbundled.js (run again on a bundled dist/, this script bundles that again).
if (!readFileSync(join(appDir, 'main.js'), 'utf8').includes(LOADER_MARK))
  renameSync(join(appDir, 'main.js'), join(appDir, 'main.unbundled.js'));
// Nest's Logger and ConsoleLogger each make an Intl.DateTimeFormat as their modules load, which maps ICU's locale
// data (~5 MB resident in every process, bench/RESULTS.md) although this service logs through pino and never prints
// with them: in the bundle, each formatter is made on its first use. Should Nest's source change, the build fails here
// rather than drift.
const NEST_DATE_FORMATTERS = ['console-logger.service.js', 'logger.service.js'];
const formattersMadeLazy = new Set();
const lazyNestDateFormatters = {
  name: 'lazy-nest-date-formatters',
  setup(bundler) {
    bundler.onLoad({ filter: /@nestjs[\\/]common[\\/]services[\\/](console-)?logger\.service\.js$/ }, ({ path }) => {
      const eager = /const dateTimeFormatter = (new Intl\.DateTimeFormat\([^;]*\));/;
      const source = readFileSync(path, 'utf8');
      if (!eager.test(source)) throw new Error(`${path}: its date formatter changed; update scripts/bundle.mjs`);
      const lazy =
        'let madeFormatter;\nconst dateTimeFormatter = { format: (date) => (madeFormatter ??= $1).format(date) };';
      formattersMadeLazy.add(basename(path));
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
const { outputFiles } = await build({
  entryPoints: [join(appDir, 'main.unbundled.js')],
  outfile: join(appDir, 'service.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The ESM build of a package where it has one (jsonc-parser's UMD build requires its files by computed paths).
  mainFields: ['module', 'main'],
  external,
  // The bundled ESM packages call createRequire(import.meta.url): the bundle's own URL.
  banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundle_url' },
  // Without comments and whitespace: V8 keeps the whole source of a script in memory as long as it runs (half the
  // size). Names are kept: Nest names providers and log contexts after their classes.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  write: false,
  logLevel: 'error',
  plugins: [lazyNestDateFormatters],
});
for (const file of NEST_DATE_FORMATTERS)
  if (!formattersMadeLazy.has(file)) throw new Error(`Nest's ${file} was not bundled; update scripts/bundle.mjs`);
// ASCII only: one non-ASCII character (validator.js's alphabets, in regular expressions esbuild leaves as they are)
// and V8 holds the whole source as two bytes per character. \uXXXX means the same in a string or a regular expression.
// keepNames wraps every named function in __name(f, "f"), which esbuild needs only where bundling renamed f (two
// modules' `class Logger` become Logger and Logger2). Where the name is f's own, the call changes nothing but costs a
// defineProperty each time a closure is made: fastify makes several per request (40% of validate's CPU time).
const named = outputFiles[0].text.replace(/__name\(([A-Za-z_$][\w$]*),"\1"\)/g, '$1');
const ascii = named.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(join(appDir, 'service.bundle.js'), ascii);
writeFileSync(
  join(appDir, 'main.js'),
  [
    "'use strict';",
    `${LOADER_MARK}: the service is service.bundle.js; Node caches its compiled code across starts.`,
    "require('node:module').enableCompileCache?.();",
    "require('./service.bundle.js');",
    '',
  ].join('\n'),
);
for (const worker of ['sqlite-reader.worker.js', 'sqlite-trail-writer.worker.js'])
  copyFileSync(join(storeDir, worker), join(appDir, worker));
process.stderr.write(`bundle: dist/apps/auth-service/src/service.bundle.js in ${Date.now() - started} ms\n`);
