import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { SqliteReader } from './sqlite-reader';

describe('SqliteReader', () => {
  let dir: string;
  let path: string;
  let reader: SqliteReader;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-reader-'));
    path = join(dir, 'db.sqlite');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)');
    db.close();
    reader = new SqliteReader(path, 1000);
  });
  afterEach(async () => {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs reads on its thread, with named parameters', async () => {
    expect(await reader.rows('SELECT n FROM t WHERE n >= @p1 ORDER BY n', { p1: 2 })).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('is read-only: a write is refused with the error of SQLite', async () => {
    await expect(reader.rows('DELETE FROM t RETURNING n', {})).rejects.toThrow(/readonly|read-only|query_only/i);
  });

  it('fails the reads in flight when its thread dies, and starts a new one for the next', async () => {
    await reader.rows('SELECT 1', {});
    const worker = (reader as unknown as { worker: Worker }).worker;
    const inFlight = reader.rows('SELECT n FROM t', {});
    await worker.terminate();
    await expect(inFlight).rejects.toThrow(/stopped/);
    expect(await reader.rows('SELECT COUNT(*) AS c FROM t', {})).toEqual([{ c: 3 }]);
  });

  it('refuses reads once closed', async () => {
    await reader.close();
    await expect(reader.rows('SELECT 1', {})).rejects.toThrow(/closed/);
  });
});
