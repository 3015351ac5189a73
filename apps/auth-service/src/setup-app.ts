import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream, Logger } from 'pino';
import {
  BasicCredentials,
  LoginBackoff,
  CoreConfig,
  createRootLogger,
  hardenFastify,
  MetricsService,
  PinoNestLogger,
  requestIdOf,
} from '@app/common';
import { AppConfig } from './app.config';
import { AppModule } from './app.module';
import { GracefulStop } from './lifecycle/graceful-stop';
import { instrumentHttp } from './observability/http-observability';
import { setupDocs } from './openapi/openapi';
import type { OpsConfig } from './ops.config';
import { registerPlainRoutes } from './http/plain-route';
import { getProfileRoute } from './profiles/get-profile.route';
import { validateRoute } from './tokens/validate.route';
import { registerWriteGuardRoute } from './write-guard/write-guard.route';

export interface CreatedApp {
  app: NestFastifyApplication;
  core: CoreConfig;
  ops: OpsConfig;
  logger: Logger;
  /** The graceful stop's request gate: main.ts begins it on SIGTERM/SIGINT, before closing the application. */
  stop: GracefulStop;
}

export interface CreateAppOptions {
  /** false: no log output at all. */
  logger?: false;
  /** JSON log lines go here instead of stdout (tests read them). */
  logStream?: DestinationStream;
}

/**
 * Builds the application exactly as it runs in production, on a configuration already loaded (main.ts reads the
 * environment once, with loadAppConfig); shared by main.ts and the e2e tests.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<CreatedApp> {
  const { core, ops, writeGuard } = config;
  const logger = createRootLogger({
    level: options.logger === false ? 'silent' : core.logLevel,
    format: options.logStream ? 'json' : ops.logFormat,
    secrets: config.secrets,
    destination: options.logStream,
  });
  const sharePage = `${core.prefix}/share/`;
  const adapter = new FastifyAdapter({
    bodyLimit: core.bodyLimit,
    return503OnClosing: true,
    genReqId: requestIdOf,
    // The share page is `/share/` (its forms post to `unlock`, relative to it); Nest's route for it is `/share`.
    rewriteUrl: (req: { url?: string }) => rewriteSharePage(req.url ?? '/', sharePage),
  });
  // The share page's forms post urlencoded bodies; everywhere else a body is JSON, whatever its label.
  hardenFastify(adapter.getInstance(), { formPaths: (url) => url.startsWith(sharePage) });
  // First of the request hooks: while stopping, a request is answered 503 before credentials or body are looked at.
  const stop = new GracefulStop(adapter.getInstance());
  // Nest declares its option bag as a class with no behaviour; the literal is its documented use.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    bodyParser: false,
    abortOnError: false,
    logger: options.logger === false ? false : startupLogger(new PinoNestLogger(logger)),
  });
  if (core.prefix) app.setGlobalPrefix(core.prefix);
  instrumentHttp(adapter.getInstance(), app.get(MetricsService), logger, ops.accessLog);
  // The plugin's hot path, as plain fastify routes (the other routes are Nest controllers), each described once.
  const plainRoutes = [validateRoute(app), getProfileRoute(app)];
  registerPlainRoutes(
    adapter.getInstance(),
    core.prefix,
    app.get(BasicCredentials),
    app.get(LoginBackoff),
    plainRoutes,
  );
  // The reverse proxy's write guard, on a listener of its own (off unless WRITE_GUARD_PORT is set).
  registerWriteGuardRoute(app, core, writeGuard);
  if (ops.enableDocs) setupDocs(app, core, ops, plainRoutes);
  // SIGTERM/SIGINT are main.ts's: new requests get 503, the in-flight ones finish, then app.close() runs the shutdown
  // hooks (tests call app.close() themselves, so no process signal listener is installed here).
  return { app, core, ops, logger, stop };
}

/** `/share/?token=...` is served by the route `/share` (the query kept); every other URL is left as it is. */
function rewriteSharePage(url: string, sharePage: string): string {
  if (!url.startsWith(sharePage)) return url;
  const rest = url.slice(sharePage.length);
  return rest === '' || rest.startsWith('?') ? sharePage.slice(0, -1) + rest : url;
}

const NEST_READY = 'Nest application successfully started';

/**
 * Nest's own logger, less its "successfully started" line, its listen failure and the "ExceptionHandler" lines: while the application is built, Nest logs a failing provider's
 * error with its stack and then rethrows it to the caller, main.ts, which reports it as one clean message (a
 * ConfigError names the variable). After start-up nothing is logged under that context (requests have the filter).
 */
function startupLogger(nest: PinoNestLogger): LoggerService {
  return {
    // Nest says "successfully started" before the port is even opened; main.ts says "listening" once it is.
    log: (message: unknown, ...params: unknown[]) =>
      message === NEST_READY ? undefined : nest.log(message, ...params),
    warn: (message: unknown, ...params: unknown[]) => nest.warn(message, ...params),
    debug: (message: unknown, ...params: unknown[]) => nest.debug(message, ...params),
    verbose: (message: unknown, ...params: unknown[]) => nest.verbose(message, ...params),
    fatal: (message: unknown, ...params: unknown[]) => nest.fatal(message, ...params),
    error: (message: unknown, ...params: unknown[]) => {
      if (params[params.length - 1] === 'ExceptionHandler') return;
      // A listen failure (EADDRINUSE...) is main.ts's to report, as one line naming PORT or HOST.
      if (params[params.length - 1] === 'NestApplication' && String(message).startsWith('Error: listen ')) return;
      nest.error(message, ...params);
    },
  };
}
