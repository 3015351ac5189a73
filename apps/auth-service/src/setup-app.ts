import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream, Logger } from 'pino';
import {
  BasicCredentials,
  CoreConfig,
  createRootLogger,
  hardenFastify,
  loadCoreConfig,
  MetricsService,
  PinoNestLogger,
  requestIdOf,
} from '@app/common';
import { AppModule } from './app.module';
import { instrumentHttp } from './ops/http-observability';
import { setupDocs } from './ops/openapi';
import { loadOpsConfig, OpsConfig, secretValues } from './ops/ops.config';
import { registerPlainRoutes } from './http/plain-route';
import { getProfileRoute } from './profiles/get-profile.route';
import { validateRoute } from './tokens/validate.route';
import { loadWriteGuardConfig } from './write-guard/write-guard.config';
import { registerWriteGuardRoute } from './write-guard/write-guard.route';

export interface CreatedApp {
  app: NestFastifyApplication;
  core: CoreConfig;
  ops: OpsConfig;
  logger: Logger;
}

export interface CreateAppOptions {
  /** false: no log output at all. */
  logger?: false;
  /** JSON log lines go here instead of stdout (tests read them). */
  logStream?: DestinationStream;
}

/** Builds the application exactly as it runs in production; shared by main.ts and the e2e tests. */
export async function createApp(options: CreateAppOptions = {}): Promise<CreatedApp> {
  const core = loadCoreConfig(process.env);
  const ops = loadOpsConfig(process.env);
  const writeGuard = loadWriteGuardConfig(process.env, core);
  const logger = createRootLogger({
    level: options.logger === false ? 'silent' : core.logLevel,
    format: options.logStream ? 'json' : ops.logFormat,
    secrets: secretValues(process.env, core),
    destination: options.logStream,
  });
  const adapter = new FastifyAdapter({ bodyLimit: core.bodyLimit, return503OnClosing: true, genReqId: requestIdOf });
  hardenFastify(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(core), adapter, {
    bodyParser: false,
    abortOnError: false,
    logger: options.logger === false ? false : new PinoNestLogger(logger),
  });
  if (core.prefix) app.setGlobalPrefix(core.prefix);
  instrumentHttp(adapter.getInstance(), app.get(MetricsService), logger, ops.accessLog);
  // The plugin's hot path, as plain fastify routes (the other routes are Nest controllers), each described once.
  const plainRoutes = [validateRoute(app), getProfileRoute(app)];
  registerPlainRoutes(adapter.getInstance(), core.prefix, app.get(BasicCredentials), plainRoutes);
  // The reverse proxy's write guard, on a listener of its own (off unless WRITE_GUARD_PORT is set).
  registerWriteGuardRoute(app, core, writeGuard);
  if (ops.enableDocs) setupDocs(app, core, ops, plainRoutes);
  // SIGTERM/SIGINT: stop accepting (new requests get 503), finish the in-flight ones, run the shutdown hooks, exit 0.
  // main.ts adds the forced exit after SHUTDOWN_TIMEOUT.
  app.enableShutdownHooks([], { useProcessExit: true });
  return { app, core, ops, logger };
}
