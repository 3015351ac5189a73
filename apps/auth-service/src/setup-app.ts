import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { CoreConfig, hardenFastify, loadCoreConfig } from '@app/common';
import { AppModule } from './app.module';
import { registerValidateRoute } from './tokens/validate.route';

export interface CreatedApp {
  app: NestFastifyApplication;
  core: CoreConfig;
}

/** Builds the application exactly as it runs in production; shared by main.ts and the e2e tests. */
export async function createApp(options: { logger?: false } = {}): Promise<CreatedApp> {
  const core = loadCoreConfig(process.env);
  const adapter = new FastifyAdapter({ bodyLimit: core.bodyLimit, return503OnClosing: true });
  hardenFastify(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(core), adapter, {
    bodyParser: false,
    abortOnError: false,
    ...(options.logger === false ? { logger: false } : {}),
  });
  if (core.prefix) app.setGlobalPrefix(core.prefix);
  registerValidateRoute(app, core);
  app.enableShutdownHooks();
  return { app, core };
}
