import { Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { PathItemObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreConfig, IS_PUBLIC } from '@app/common';
import { ALLOW_BEARER, BearerPermission } from '../auth/allow-bearer.decorator';
import { PlainRoute, plainRoutesOpenApi } from '../http/plain-route';
import { ERROR_SCHEMA } from './answer-schemas';
import type { OpsConfig } from '../ops.config';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The routes' security in the document, read from the same metadata as the caller guard: @Public, @AllowBearer. */
function describeSecurity(app: NestFastifyApplication, document: OpenAPIObject, ops: OpsConfig): void {
  const controllers = new Map<string, Type>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values())
      if (wrapper.metatype) controllers.set(wrapper.metatype.name, wrapper.metatype as Type);
  }
  const reflector = new Reflector();
  for (const [path, item] of Object.entries<PathItemObject>(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op?.operationId) continue;
      const [controllerName, handlerName] = op.operationId.split('_');
      const controller = controllers.get(controllerName);
      const handler = (controller?.prototype as Record<string, unknown> | undefined)?.[handlerName] as
        (() => unknown) | undefined;
      const targets = handler && controller ? [handler, controller] : [];
      let isPublic = targets.length
        ? reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true
        : false;
      if (path.endsWith('/metrics')) isPublic = ops.metricsPublic;
      const bearer = targets.length
        ? reflector.getAllAndOverride<BearerPermission | undefined>(ALLOW_BEARER, targets)
        : undefined;
      if (isPublic) {
        op.security = [];
        continue;
      }
      op.security = bearer ? [{ basic: [] }, { bearer: [] }] : [{ basic: [] }];
      if (bearer) {
        const permission =
          typeof bearer === 'function'
            ? 'the permission its parameters require (see above)'
            : typeof bearer === 'string'
              ? `the \`${bearer}\` permission`
              : `one of the ${bearer.map((p) => `\`${p}\``).join(', ')} permissions`;
        op.description = `${op.description ? `${op.description}\n\n` : ''}Also accepts a user's access token of the OpenID provider (\`Authorization: Bearer\`) whose profile holds ${permission}.`;
      }
      op.responses['401'] ??= {
        description: 'missing or wrong credentials',
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
    }
  }
}

/**
 * The error answers every route may give, in the one error shape: 500 (an unexpected failure, its `errorId` in the
 * log) and, where a body is read, 413 past BODY_LIMIT (fastify's check, before the route).
 */
function describeCommonErrors(document: OpenAPIObject): void {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_SCHEMA } } });
  for (const item of Object.values<PathItemObject>(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (op.requestBody) op.responses['413'] ??= error('the body is larger than BODY_LIMIT');
      op.responses['500'] ??= error('an unexpected failure: errorId names it in the log');
    }
  }
}

/**
 * The OpenAPI document: every Nest route from its decorators, plus the plain fastify routes (the plugin's hot path),
 * which Nest's scanner cannot see, from their route descriptions (plain-route.ts).
 */
function buildOpenApiDocument(
  app: NestFastifyApplication,
  core: CoreConfig,
  ops: OpsConfig,
  plainRoutes: readonly PlainRoute[],
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('orthanc-auth')
    .setDescription(
      'Authorization web service for the Orthanc DICOM server: share links, user profiles, roles editor, share e-mails. ' +
        "Callers authenticate with HTTP Basic (USERS); some routes also take a user's access token of the OpenID provider (Keycloak or another) as a bearer token. Field names are kebab-case.",
    )
    .setVersion(packageVersion())
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'a caller login of USERS' }, 'basic')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          "a user's access token of the OpenID provider: Keycloak or another, verified locally (routes that say so)",
      },
      'bearer',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
  describeSecurity(app, document, ops);
  const plain = plainRoutesOpenApi(plainRoutes, core.prefix);
  Object.assign(document.paths, plain.paths);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...plain.schemas },
  };
  describeCommonErrors(document);
  return document;
}

function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0'
    );
  } catch {
    return '0';
  }
}

/** The files of swagger-ui-dist that the UI page loads (served by name: nothing else of the folder is reachable). */
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

/**
 * Serves the document at `/docs-json` and the Swagger UI at `/docs`, both public (see the README). The UI's files come
 * from swagger-ui-dist (a dependency of @nestjs/swagger) by fixed names, as SwaggerModule would otherwise need
 * @fastify/static.
 */
export function setupDocs(
  app: NestFastifyApplication,
  core: CoreConfig,
  ops: OpsConfig,
  plainRoutes: readonly PlainRoute[],
): void {
  const base = `${core.prefix}/docs`;
  let json: string | undefined;
  const documentJson = () => (json ??= JSON.stringify(buildOpenApiDocument(app, core, ops, plainRoutes)));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get(`${base}-json`, (_req, reply) => reply.type('application/json; charset=utf-8').send(documentJson()));
  const dist = swaggerUiDist();
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>orthanc-auth API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css"></head><body><div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script><script src="${base}/docs-init.js"></script></body></html>`;
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(`${base}-json`)}, dom_id: '#swagger-ui' });`;
  fastify.get(base, (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  fastify.get(`${base}/docs-init.js`, (_req, reply) => reply.type('application/javascript; charset=utf-8').send(init));
  for (const [name, type] of Object.entries(UI_ASSETS)) {
    let body: Buffer | undefined;
    fastify.get(`${base}/${name}`, (_req, reply) => {
      if (!dist)
        return reply
          .status(404)
          .send({ statusCode: 404, error: 'Not Found', message: 'swagger-ui-dist is not installed' });
      body ??= readFileSync(join(dist, name));
      return reply.type(type).header('cache-control', 'public, max-age=86400').send(body);
    });
  }
}

function swaggerUiDist(): string | null {
  try {
    // Only the path helper: the package's index would load (and run) the 1.4 MB UI bundle into this process's memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('swagger-ui-dist/absolute-path.js') as () => string)();
  } catch {
    return null;
  }
}
