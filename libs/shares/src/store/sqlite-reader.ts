import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

interface Pending {
  resolve(rows: unknown): void;
  reject(err: Error): void;
}

/**
 * Runs the SQLite registry's reads on a worker thread with its own connection (sqlite-reader.worker.js), so that a
 * listing, however long, never holds up the event loop that answers validate. The same with another script runs the
 * access trail's writes (sqlite-trail-writer.worker.js): messages in, one answer each. Started on first use; when the thread
 * dies, the reads in flight fail (the caller answers 503) and the next read starts a new one. An idle reader does not
 * keep the process alive.
 */
export class SqliteReader {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly script = 'sqlite-reader.worker.js',
  ) {}

  rows<T>(sql: string, params: unknown): Promise<T[]> {
    return this.send<T[]>({ sql, params });
  }

  /** One message to the thread; resolves to its answer (`rows`). */
  send<T>(message: Record<string, unknown>): Promise<T> {
    let worker: Worker;
    try {
      worker = this.start();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  private start(): Worker {
    if (this.closed) throw new Error('the share registry reader is closed');
    if (this.worker) return this.worker;
    const worker = new Worker(join(__dirname, this.script), {
      workerData: { path: this.path, driver: require.resolve('better-sqlite3'), busyTimeoutMs: this.busyTimeoutMs },
    });
    worker.on('message', (m: { id: number; rows?: unknown; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m.rows);
    });
    worker.on('error', (err: Error) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`the share registry reader stopped (exit code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    this.lost(worker, new Error('the share registry reader is closed'));
    await worker.terminate();
  }
}
