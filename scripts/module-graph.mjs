#!/usr/bin/env node
// The module graph of docs/ARCHITECTURE.md, read from the imports (never drawn by hand): which of the app and the
// libraries imports which (`@app/<lib>` imports of the non-spec TypeScript sources; `import type` lines count too,
// they are a dependency of the code's shape), as a Mermaid flowchart. `npm run graph` prints it;
// test/architecture-doc.e2e-spec.ts checks that the document holds exactly this graph.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..');

function* sources(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* sources(path);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) yield path;
  }
}

/** `app` or the library's name, for a file of apps/auth-service or libs/<lib>. */
const ownerOf = (file) => {
  const [top, name] = relative(root, file).split('/');
  return top === 'apps' ? 'app' : name;
};

function moduleGraph() {
  const edges = new Map(); // "from -> to" -> number of files
  for (const top of ['apps', 'libs']) {
    for (const file of sources(join(root, top))) {
      const from = ownerOf(file);
      const text = readFileSync(file, 'utf8');
      for (const [, to] of text.matchAll(/^(?:import|export)\b[^;]*?from '@app\/(\w+)'/gms)) {
        if (to === from) continue;
        const key = `${from} --> ${to}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
      }
    }
  }
  const lines = ['flowchart TD'];
  for (const key of [...edges.keys()].sort()) lines.push(`  ${key}`);
  return lines.join('\n');
}

process.stdout.write(`${moduleGraph()}\n`);
