#!/usr/bin/env node
// `npm start`: build when the sources changed (scripts/build-if-changed.mjs), then run the service as
// `npm run start:prod` does, in a child process that gets this process's SIGTERM/SIGINT/SIGHUP (its graceful stop)
// and whose exit code this process exits with, so that stopping `npm start` stops the service.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-changed.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

// Exactly the command of npm run start:prod (package.json), which the Docker image runs too: node flags and entry point.
const startProd = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['start:prod'];
const [, ...args] = startProd.replace(/^exec /, '').split(' ');
const service = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    if (service.exitCode === null && service.signalCode === null) service.kill(signal);
  });
}
service.on('exit', (code, signal) =>
  process.exit(code ?? (signal ? 128 + ({ SIGHUP: 1, SIGINT: 2 }[signal] ?? 15) : 1)),
);
