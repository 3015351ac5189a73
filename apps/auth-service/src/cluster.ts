import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';

/**
 * Cluster mode (WORKERS > 1): the primary forks the workers, which share the listening port, and replaces a worker
 * that dies unexpectedly (with a pause, so that a worker failing at start cannot spin). SIGTERM/SIGINT are passed
 * on; the primary exits when the workers have finished their in-flight requests (at the latest SHUTDOWN_TIMEOUT
 * and a few seconds after the signal, code 1). A worker that fails before any
 * worker listened stops the service (a configuration error must not become a restart loop).
 */
export function runPrimary(workers: number, shutdownTimeoutMs: number): void {
  const logger = new Logger('Cluster');
  let stopping = false;
  let anyListened = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  cluster.on('listening', () => {
    if (!anyListened) logger.log(`orthanc-auth listening with ${workers} workers`);
    anyListened = true;
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (!anyListened) {
      // A worker that cannot start (a wrong setting: it printed the variable's name) stops the whole service.
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 2000).unref();
      return;
    }
    // @types/node types the signal as a string; it is null when the worker exited by itself.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    logger.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another in 1 s`);
    setTimeout(fork, 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    // Each worker exits by itself within SHUTDOWN_TIMEOUT (forced, code 1): a worker still there after it is stuck.
    setTimeout(() => {
      logger.error(
        `${signal}: workers still running ${shutdownTimeoutMs / 1000 + 5} s after the signal; exiting anyway`,
      );
      process.exit(1);
    }, shutdownTimeoutMs + 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logger.log(`started ${workers} workers`);
}

export const isClusterPrimary = (workers: number): boolean => workers > 1 && cluster.isPrimary;
export const isClusterWorker = (): boolean => cluster.isWorker;
