import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CoreConfig, createRootLogger, loadCoreConfig, PinoNestLogger } from '@app/common';
import { isClusterPrimary, isClusterWorker, runPrimary } from './cluster';
import type { GracefulStop } from './ops/graceful-stop';
import { loadOpsConfig, OpsConfig, secretValues } from './ops/ops.config';
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

/**
 * SIGTERM/SIGINT: from now on new requests get a 503 with `Connection: close` (the socket keeps listening), the
 * requests in flight finish, then the application closes (shutdown hooks: registry, SMTP pool...) and the process
 * exits 0. A request that hangs does not keep it alive: after SHUTDOWN_TIMEOUT it exits 1.
 */
function stopOnSignals(app: NestFastifyApplication, stop: GracefulStop, ops: OpsConfig): void {
  const logger = new Logger('Shutdown');
  const onSignal = (signal: NodeJS.Signals) => {
    logger.log(
      `${signal}: finishing the requests in flight (${stop.requestsInFlight}), then stopping; new requests get 503`,
    );
    setTimeout(() => {
      logger.error(`${signal}: requests still in flight after ${ops.shutdownTimeoutMs / 1000} s; exiting anyway`);
      process.exit(1);
    }, ops.shutdownTimeoutMs).unref();
    stop
      .begin()
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error(`${signal}: the application did not close cleanly: ${messageOf(err)}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
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
    runPrimary(core.workers, ops.shutdownTimeoutMs);
    return;
  }
  const { app, stop } = await createApp();
  stopOnSignals(app, stop, ops);
  await app.listen(core.port, core.host);
  if (!isClusterWorker()) {
    announce(core);
    new Logger('Bootstrap').log(`orthanc-auth listening on http://${core.host}:${core.port}${core.prefix}`);
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

bootstrap().catch((err: unknown) => {
  // A configuration error names the variable: print it plainly and stop.
  process.stderr.write(`orthanc-auth could not start: ${messageOf(err)}\n`);
  process.exit(1);
});
