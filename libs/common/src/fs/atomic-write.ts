import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems do not allow fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file so that readers (and a crash) see either the old content or the new one, never a part:
 * temporary file in the same folder, fsync, rename over the target, fsync of the folder.
 */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
  fsyncDirSync(dirname(path));
}

/** The asynchronous twin of {@link writeFileAtomic}, for request handlers. */
export async function writeFileAtomicAsync(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  try {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } catch {
      /* not supported here */
    } finally {
      await dir.close();
    }
  } catch {
    /* not supported here */
  }
}

/**
 * Removes the temporary files that writers of `path` left behind when they were killed mid-write (they never replace
 * the file itself, but pile up: one per crash, as big as the file). Only files older than `maxAgeMs` go, so that a
 * write in progress in another process sharing the folder is never touched. Best effort: returns how many went.
 */
export function removeStaleTempFiles(path: string, maxAgeMs = 60 * 60 * 1000, now = Date.now()): number {
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const tmp = join(dirname(path), name);
    try {
      if (now - statSync(tmp).mtimeMs < maxAgeMs) continue;
      unlinkSync(tmp);
      removed++;
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}
