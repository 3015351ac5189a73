import { Logger } from '@nestjs/common';
import { CoreConfig, createRootLogger, loadCoreConfig, PinoNestLogger } from '@app/common';
import { isClusterPrimary, isClusterWorker, runPrimary } from './cluster';
import { loadOpsConfig, secretValues } from './ops/ops.config';
import { createApp } from './setup-app';

function announce(core: CoreConfig): void {
  const logger = new Logger('Bootstrap');
  if (core.embedded.generatedPassword) {
    // Shown once, on the start that generated it, on stdout (not in the logs): the newcomer needs it to call us.
    process.stdout.write(
      `\n  No USERS configured: generated the caller login share-user with password ${core.embedded.generatedPassword}\n` +
        `  (kept in ${core.dataDir}/users.json, mode 0600; set USERS to choose your own)\n\n`,
    );
  } else if (core.embedded.users) {
    logger.log(`Callers: the generated login share-user (password in ${core.dataDir}/users.json)`);
  }
  for (const warning of core.warnings) logger.warn(warning);
  if (core.embedded.secretKey)
    logger.warn(`No SECRET_KEY configured: using the generated key kept in ${core.dataDir}/secret-key`);
}

async function bootstrap(): Promise<void> {
  // Loaded first so that a wrong value stops start-up with its name, and embedded secrets are made once,
  // before any worker is forked.
  const core = loadCoreConfig(process.env);
  const ops = loadOpsConfig(process.env);
  if (isClusterPrimary(core.workers)) {
    // The primary serves no request: it only needs its few lines in the same format as the workers'.
    Logger.overrideLogger(
      new PinoNestLogger(
        createRootLogger({ level: core.logLevel, format: ops.logFormat, secrets: secretValues(process.env, core) }),
      ),
    );
    announce(core);
    runPrimary(core.workers);
    return;
  }
  const { app } = await createApp();
  // Graceful stop (setup-app.ts): in-flight requests finish; one that hangs must not keep the process alive.
  const forceExit = (signal: NodeJS.Signals) => {
    new Logger('Shutdown').log(`${signal}: finishing the requests in flight, then stopping`);
    setTimeout(() => {
      new Logger('Shutdown').error(
        `${signal}: requests still in flight after ${ops.shutdownTimeoutMs / 1000} s; exiting anyway`,
      );
      process.exit(1);
    }, ops.shutdownTimeoutMs).unref();
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);
  await app.listen(core.port, core.host);
  if (!isClusterWorker()) {
    announce(core);
    new Logger('Bootstrap').log(`orthanc-auth listening on http://${core.host}:${core.port}${core.prefix}`);
  }
}

bootstrap().catch((err: unknown) => {
  // A configuration error names the variable: print it plainly and stop.
  process.stderr.write(`orthanc-auth could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
