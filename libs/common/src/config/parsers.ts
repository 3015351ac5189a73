import { ConfigError } from './config-error';
import { Env, readSetting } from './settings';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function boolSetting(env: Env, name: string, fallback: boolean): boolean {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(name, `expects true or false, got "${raw}"`);
}

export function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `expects an integer, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `expects an integer from ${min} to ${max}, got ${n}`);
  return n;
}

export function enumSetting<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expects one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

/**
 * An absolute http(s) URL, returned as given (so that URL resolution keeps its exact path). A `directory` URL (a root
 * that links are resolved against, such as PUBLIC_ORTHANC_ROOT) gets the "/" that ends its path when it lacks one:
 * `https://pacs.example.org/orthanc` and `https://pacs.example.org/orthanc/` are the same root, whereas resolving
 * `stone-webviewer/...` against the first would drop `/orthanc`.
 */
export function urlSetting(env: Env, name: string, opts: { directory?: boolean } = {}): string | undefined {
  const raw = readSetting(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expects an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `expects an http or https URL, got "${raw}"`);
  }
  return opts.directory ? withDirectorySlash(raw) : raw;
}

/** `raw` with its path ending in "/" (its query or fragment, if any, kept after it). */
function withDirectorySlash(raw: string): string {
  const cut = raw.search(/[?#]/);
  const head = cut === -1 ? raw : raw.slice(0, cut);
  const tail = cut === -1 ? '' : raw.slice(cut);
  // `https://host` has no path at all: its "/" is the root's.
  return head.endsWith('/') ? raw : `${head}/${tail}`;
}

/** A JSON object whose values are all strings (e.g. USERS). */
export function stringMapSetting(env: Env, name: string): Record<string, string> | undefined {
  const raw = readSetting(env, name);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'expects a JSON object such as {"share-user": "change-me"}, got invalid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(name, 'expects a JSON object such as {"share-user": "change-me"}');
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) throw new ConfigError(name, 'expects at least one login');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || v === '' || k === '' || k.includes(':')) {
      throw new ConfigError(name, 'expects non-empty logins (without ":") mapped to non-empty password strings');
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function listSetting(env: Env, name: string): string[] {
  const raw = readSetting(env, name);
  if (raw === undefined) return [];
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ConfigError(name, 'expects a JSON array of strings or a comma-separated list');
    }
    if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string' || x === '')) {
      throw new ConfigError(name, 'expects a JSON array of non-empty strings');
    }
    return parsed as string[];
  }
  return trimmed
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
