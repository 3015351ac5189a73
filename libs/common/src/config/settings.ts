import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error';

export type Env = Record<string, string | undefined>;

/** Where Docker secrets are mounted. Overridable (SECRETS_DIR) so tests and non-Docker sites can point elsewhere. */
function secretsDir(env: Env): string {
  return env.SECRETS_DIR || '/run/secrets';
}

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The value of one setting: `/run/secrets/NAME` (trimmed) first, then the file named by `NAME_FILE`, then the
 * environment variable `NAME`. An empty value counts as absent.
 */
export function readSetting(env: Env, name: string): string | undefined {
  const fromSecret = readSecretFile(join(secretsDir(env), name));
  if (fromSecret) return fromSecret;
  const file = env[`${name}_FILE`];
  if (file) {
    const fromFile = readSecretFile(file);
    if (fromFile === undefined) throw new ConfigError(`${name}_FILE`, `points to ${file}, which does not exist`);
    if (fromFile) return fromFile;
  }
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
