import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { hostname } from 'node:os';
import { ConfigError, createRootLogger, Env, PinoNestLogger } from '@app/common';
import { AppConfig, loadAppConfig } from './app.config';
import { isClusterPrimary, isClusterWorker, runPrimary } from './cluster';
import { describeFeatures, featuresLine } from './lifecycle/features';
import { dataDirError, listenError } from './lifecycle/startup-errors';
import { unknownSettingWarnings } from './lifecycle/unknown-settings';
import type { GracefulStop } from './lifecycle/graceful-stop';
import type { OpsConfig } from './ops.config';
import { createApp } from './setup-app';

/** JSON logs? Read leniently: this also decides how a start-up failure is reported, before the settings are checked. */
function jsonLogs(env: Env): boolean {
  const format = env.LOG_FORMAT?.trim().toLowerCase();
  return format === 'json' || (format !== 'pretty' && env.NODE_ENV === 'production');
}

function announce(config: AppConfig): void {
  const { core, ops } = config;
  const logger = new Logger('Bootstrap');
  if (core.embedded.generatedPassword) {
    const where = `${core.dataDir}/users.json`;
    if (ops.logFormat === 'json') {
      // A log line never carries a secret: JSON lines go to log collectors, the password stays in its file.
      logger.warn(
        `No USERS configured: generated the caller login share-user, its password is in ${where} (mode 0600); set USERS to choose your own`,
      );
    } else {
      // Shown once, on the start that generated it, to the person at the terminal (not in the logs).
      process.stdout.write(
        `\n  No USERS configured: generated the caller login share-user with password ${core.embedded.generatedPassword}\n` +
          `  (kept in ${where}, mode 0600; set USERS to choose your own)\n\n`,
      );
    }
  } else if (core.embedded.users) {
    logger.log(`Callers: the generated login share-user (password in ${core.dataDir}/users.json)`);
  }
  for (const warning of core.warnings) logger.warn(warning);
  for (const warning of unknownSettingWarnings(process.env)) logger.warn(warning);
  if (core.embedded.secretKey)
    logger.warn(`No SECRET_KEY configured: using the generated key kept in ${core.dataDir}/secret-key`);
  const summary = describeFeatures(config);
  const msg = `Features: ${featuresLine(summary)}`;
  // In JSON the same summary also as fields, for log queries; for people, the line says it all.
  logger.log(ops.logFormat === 'json' ? { msg, features: summary } : msg);
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
  // The environment is read here, once: every setting is checked first, so that a wrong value stops start-up with its
  // name (before any worker is forked), embedded secrets are made once, and the result is handed down.
  const config = await loadAppConfig();
  const { core, ops } = config;
  if (isClusterPrimary(core.workers)) {
    // The primary serves no request: it only needs its few lines in the same format as the workers'.
    Logger.overrideLogger(
      new PinoNestLogger(createRootLogger({ level: core.logLevel, format: ops.logFormat, secrets: config.secrets })),
    );
    announce(config);
    runPrimary(core.workers, ops.shutdownTimeoutMs);
    return;
  }
  const { app, stop } = await createApp(config);
  stopOnSignals(app, stop, ops);
  try {
    await app.listen(core.port, core.host);
  } catch (err) {
    throw listenError(err, core.port, core.host);
  }
  if (!isClusterWorker()) {
    announce(config);
    new Logger('Bootstrap').log(`orthanc-auth listening on http://${core.host}:${core.port}${core.prefix}`);
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A start-up failure is one clean message naming what to fix (a ConfigError names the variable), never a stack trace
 * first: in JSON a single `fatal` line, otherwise one line on stderr. The stack follows only with LOG_LEVEL=debug or
 * trace, for an error that is not a configuration error.
 */
function reportStartFailure(err: unknown): void {
  const message = messageOf(err);
  const level = process.env.LOG_LEVEL?.trim().toLowerCase();
  const stack = !(err instanceof ConfigError) && (level === 'debug' || level === 'trace') && err instanceof Error;
  if (jsonLogs(process.env)) {
    const line = {
      level: 'fatal',
      time: new Date().toISOString(),
      pid: process.pid,
      hostname: hostname(),
      name: 'orthanc-auth',
      context: 'Bootstrap',
      ...(err instanceof ConfigError ? { variable: err.variable } : {}),
      ...(stack ? { stack: err.stack } : {}),
      msg: `orthanc-auth could not start: ${message}`,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } else {
    process.stderr.write(`orthanc-auth could not start: ${message}\n`);
    if (stack) process.stderr.write(`${err.stack}\n`);
  }
}

bootstrap().catch((err: unknown) => {
  reportStartFailure(dataDirError(err, process.env));
  process.exit(1);
});
