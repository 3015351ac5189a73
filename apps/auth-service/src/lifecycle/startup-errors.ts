import { accessSync, constants, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ConfigError, dataDirSetting, Env } from '@app/common';

/**
 * Start-up failures that come from the machine rather than from a value (a port taken, a folder the service may not
 * write), told as the setting to change: the operator reads one line naming PORT/HOST or DATA_DIR, not a bare
 * `EADDRINUSE` or `EACCES ... mkdir`. Anything else is returned as it is.
 */

const codeOf = (err: unknown): string | undefined =>
  err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The main listener's failure (`app.listen(PORT, HOST)`), naming PORT or HOST. */
export function listenError(err: unknown, port: number, host: string): unknown {
  const where = `${host}:${port}`;
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return new ConfigError(
        'PORT',
        `${port} is already in use on ${host} (HOST): stop the program listening on ${where}, or set PORT to a free port`,
      );
    case 'EACCES':
      return new ConfigError(
        'PORT',
        `${port} may not be opened by the user the service runs as (${whoAmI()}; ports below 1024 need privileges): set PORT to 1024 or above`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(
        'HOST',
        `"${host}" is not an address of this machine (${codeOf(err)}): set HOST to one of its addresses, or 0.0.0.0 for all`,
      );
    default:
      return err;
  }
}

/**
 * A start-up failure on a file of the data folder (the generated secret key, users.json, the SQLite registry...) while
 * that folder cannot be written: one ConfigError naming DATA_DIR, the folder and the user the service runs as, with
 * what failed (a ConfigError of another setting, such as SHARES_SQLITE_PATH's default in DATA_DIR, included).
 */
export function dataDirError(err: unknown, env: Env): unknown {
  if (err instanceof ConfigError && err.variable === 'DATA_DIR') return err;
  let dataDir: string;
  try {
    dataDir = dataDirSetting(env);
  } catch {
    return err;
  }
  const what = err instanceof ConfigError ? `${err.variable} ${err.expectation}` : messageOf(err);
  if (!mentions(what, dataDir) || writable(dataDir)) return err;
  return new ConfigError(
    'DATA_DIR',
    `${dataDir} cannot be written by the user the service runs as (${whoAmI()}): make that user its owner (chown), or set DATA_DIR to a folder it can write (${what})`,
  );
}

/** Whether `text` names `dir` or a path inside it (`/srv/data` names neither `/srv/data2` nor `/srv/database`). */
function mentions(text: string, dir: string): boolean {
  for (let at = text.indexOf(dir); at !== -1; at = text.indexOf(dir, at + 1)) {
    if (!/[\w.-]/.test(text.charAt(at + dir.length))) return true;
  }
  return false;
}

/** Whether the folder exists (or can be made) and files can be created in it by this process. */
function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name, uid N` of this process (the uid alone when it has no name, as in some containers). */
function whoAmI(): string {
  const uid = process.getuid?.() ?? -1;
  try {
    return `${userInfo().username}, uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}
