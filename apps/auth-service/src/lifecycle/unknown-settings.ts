import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Env } from '@app/common';

/**
 * Misspelled settings (`SECRET_KEYS=`, `ORTHANC_ROOT=`) are otherwise silently ignored: at start-up, each variable of
 * the environment that looks like one of ours without being one is reported, naming the setting it likely meant.
 *
 * The known names come from the code itself: the configuration modules (every `*.config.ts` of apps/ and libs/, and
 * libs/common's config folder; their compiled `.js` in dist/) are read and the setting names they use collected, so
 * that a setting added there is known here without a list to keep in step.
 */

/**
 * The folder holding apps/ and libs/: the repository (sources, jest) or dist/ (the compiled service), the nearest
 * above this file. The bundled build (dist/apps/auth-service/src/service.bundle.js) sits at another depth than this
 * file's own compiled copy, and the image holds dist/ alone: a fixed number of `..` would miss it there.
 */
function codeRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'apps')) && existsSync(join(dir, 'libs'))) return dir;
  }
  return from;
}
const CODE_ROOT = codeRoot(__dirname);

/**
 * A setting name as the configuration modules write it: a quoted `'PUBLIC_ORTHANC_ROOT'` (a name of two words or
 * more), or one word read from the environment (`intSetting(env, 'PORT'`, `env.NODE_ENV`); not error codes or
 * algorithm names (`'ENOENT'`, `'RS256'`).
 */
const NAME_IN_CODE =
  /['"]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"]|\benv, ['"]([A-Z][A-Z0-9]*)['"]|\benv\.([A-Z][A-Z0-9_]*)/g;

/** The environment of a shell, a container or npm, never ours: `USER` is one letter away from USERS. */
const SYSTEM_NAMES = new Set(['USER', 'LOGNAME', 'HOME', 'PATH', 'PWD', 'SHELL', 'TERM', 'HOSTNAME', 'LANG', 'TZ']);

function isConfigModule(path: string): boolean {
  if (/\.(spec|e2e-spec)\.[jt]s$|\.d\.ts$/.test(path)) return false;
  return /\.config\.[jt]s$/.test(path) || /[/\\]config[/\\][^/\\]+\.[jt]s$/.test(path);
}

function* configModules(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') yield* configModules(path);
    else if (e.isFile() && isConfigModule(path)) yield path;
  }
}

/** Every setting name the configuration modules under `root` (apps/ and libs/) read. */
export function knownSettings(root = CODE_ROOT): Set<string> {
  const names = new Set<string>();
  for (const file of [...configModules(join(root, 'apps')), ...configModules(join(root, 'libs'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(NAME_IN_CODE)) names.add(m[1] || m[2] || m[3]);
  }
  return names;
}

/** Edit distance with transpositions (`SECERT_KEY` is one edit from SECRET_KEY). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The edits a name of this length may be away from a known one: 2, but 1 for short names (HOME is 2 from HOST). */
const maxEdits = (name: string): number => (name.length >= 8 ? 2 : name.length >= 4 ? 1 : 0);

/** The first segments (`PUBLIC_`, `OIDC_`, `EMAILS_`...) that at least two known names share. */
function prefixesOf(known: Iterable<string>): Set<string> {
  const count = new Map<string, number>();
  for (const name of known) {
    const cut = name.indexOf('_');
    if (cut > 0) count.set(name.slice(0, cut + 1), (count.get(name.slice(0, cut + 1)) ?? 0) + 1);
  }
  return new Set([...count].filter(([, n]) => n >= 2).map(([prefix]) => prefix));
}

/**
 * One warning per variable of `env` that looks like a setting of this service without being one: an edit or two from
 * a known name, a known name without its first segment (`ORTHANC_ROOT`), or a known prefix (`PUBLIC_`, `OIDC_`...).
 * Each names the variable, the likely setting, and what to do. Values are never read.
 */
export function unknownSettingWarnings(env: Env, known: Set<string> = knownSettings()): string[] {
  const names = new Set([...known].flatMap((k) => [k, `${k}_FILE`]));
  const sortedNames = [...names].sort();
  const sortedKnown = [...known].sort();
  const prefixes = prefixesOf(known);
  const warnings: string[] = [];
  const closest = (name: string, within: number): { name?: string; edits: number } => {
    let best: { name?: string; edits: number } = { edits: Infinity };
    // NAME_FILE is only ever meant for a name that ends so.
    for (const candidate of name.endsWith('_FILE') ? sortedNames : sortedKnown) {
      if (Math.abs(candidate.length - name.length) > within) continue;
      const edits = distance(name, candidate);
      if (edits < best.edits) best = { name: candidate, edits };
    }
    return best;
  };
  for (const name of Object.keys(env).sort()) {
    if (names.has(name) || SYSTEM_NAMES.has(name) || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    const near = closest(name, maxEdits(name));
    const withoutFirstWord = name.includes('_') ? sortedNames.find((k) => k.endsWith(`_${name}`)) : undefined;
    const meant = near.edits <= maxEdits(name) ? near.name : withoutFirstWord;
    const prefix = [...prefixes].find((p) => name.startsWith(p));
    if (meant) {
      warnings.push(`${name} is not a setting of orthanc-auth and is ignored: did you mean ${meant}? Rename it.`);
    } else if (prefix) {
      warnings.push(
        `${name} is not a setting of orthanc-auth and is ignored (its ${prefix} prefix is ours; the closest setting is ${closest(name, Infinity).name}): rename it, or remove it.`,
      );
    }
  }
  return warnings;
}
