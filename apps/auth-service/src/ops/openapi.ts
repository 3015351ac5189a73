import { Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, PathItemObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOW_BEARER, BearerPermission, CoreConfig, IS_PUBLIC } from '@app/common';
import { ValidateTokenDto } from '@app/tokens';
import { GetProfileDto } from '../profiles/get-profile.dto';
import { ERROR_SCHEMA, PROFILE_SCHEMA, VALIDATE_ANSWER_SCHEMA } from './openapi-schemas';
import type { OpsConfig } from './ops.config';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The routes' security in the document, read from the same metadata as the caller guard: @Public, @AllowBearer. */
function describeSecurity(app: NestFastifyApplication, document: OpenAPIObject, ops: OpsConfig): void {
  const controllers = new Map<string, Type>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values())
      if (wrapper.metatype) controllers.set(wrapper.metatype.name, wrapper.metatype as Type);
  }
  const reflector = new Reflector();
  for (const [path, item] of Object.entries(document.paths) as [string, PathItemObject][]) {
    for (const method of METHODS) {
      const op = item[method] as OperationObject | undefined;
      if (!op?.operationId) continue;
      const [controllerName, handlerName] = op.operationId.split('_');
      const controller = controllers.get(controllerName);
      const handler = controller?.prototype[handlerName] as (() => unknown) | undefined;
      const targets = handler && controller ? [handler, controller] : [];
      let isPublic = targets.length ? reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true : false;
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
        op.description = `${op.description ? `${op.description}\n\n` : ''}Also accepts a Keycloak user's bearer token whose profile holds ${permission}.`;
      }
      op.responses['401'] ??= {
        description: 'missing or wrong credentials',
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
    }
  }
}

/**
 * The OpenAPI document: every Nest route from its decorators, plus `POST /tokens/validate` and `POST /user/get-profile`,
 * plain fastify routes (the plugin's hot path) that Nest's scanner cannot see, described here from their DTOs.
 */
export function buildOpenApiDocument(app: NestFastifyApplication, core: CoreConfig, ops: OpsConfig): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('orthanc-auth')
    .setDescription(
      'Authorization web service for the Orthanc DICOM server: share links, user profiles, roles editor, share e-mails. ' +
        "Callers authenticate with HTTP Basic (USERS); some routes also take a Keycloak user's bearer token. Field names are kebab-case.",
    )
    .setVersion(packageVersion())
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'a caller login of USERS' }, 'basic')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'a Keycloak access token (routes that say so)',
      },
      'bearer',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ValidateTokenDto, GetProfileDto],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
  describeSecurity(app, document, ops);
  document.paths[`${core.prefix}/tokens/validate`] = {
    post: {
      tags: ['tokens'],
      operationId: 'validateToken',
      summary: "Validate a share token (the authorization plugin's hot path)",
      description:
        'May this token access this resource with this method? The token is read from the header named by `token-key` ' +
        '(e.g. `token`), else from `token-value`. `validity` is how long (s) the plugin may cache the answer.',
      security: [{ basic: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(ValidateTokenDto) },
            example: {
              'dicom-uid': '1.2.840.113619.2.55.3.1',
              'orthanc-id': 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
              level: 'study',
              method: 'get',
              'token-key': 'token',
              'token-value': null,
              'server-id': null,
              uri: '/dicom-web/studies/1.2.840.113619.2.55.3.1',
            },
          },
        },
      },
      responses: {
        200: {
          description: 'the decision',
          content: { 'application/json': { schema: VALIDATE_ANSWER_SCHEMA, example: { granted: true, validity: 60 } } },
        },
        400: {
          description: 'the body is invalid (the field is named in message)',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
        401: {
          description: 'missing or wrong Basic credentials',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
      },
    },
  };
  document.paths[`${core.prefix}/user/get-profile`] = {
    post: {
      tags: ['profiles'],
      operationId: 'getProfile',
      summary: "A user's profile",
      description:
        'From a Keycloak access token or api-key (token-key/token-value), anonymous with no token, or by user-id. Always 200; ' +
        'the JSON literal null for an unknown api-key or user id; 503 when Keycloak cannot be reached for a lookup.',
      security: [{ basic: [] }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(GetProfileDto) },
            examples: {
              bearer: {
                summary: 'a Keycloak user',
                value: {
                  'token-key': 'authorization',
                  'token-value': 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...',
                  'server-id': null,
                },
              },
              anonymous: { summary: 'no token', value: {} },
              'user-id': {
                summary: 'a user id (audit log)',
                value: { 'user-id': 'f3c8a4e2-5b1d-4f0e-9c7a-2d6b8e1f0a93' },
              },
            },
          },
        },
      },
      responses: {
        200: {
          description: 'the profile, or null',
          content: {
            'application/json': {
              schema: PROFILE_SCHEMA,
              example: {
                name: 'Doctor Who',
                permissions: ['view', 'download', 'share'],
                'authorized-labels': ['*'],
                validity: 60,
                'user-id': 'f3c8a4e2-5b1d-4f0e-9c7a-2d6b8e1f0a93',
                groups: null,
              },
            },
          },
        },
        400: {
          description: 'the body is invalid (the field is named in message)',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
        401: {
          description: 'missing or wrong Basic credentials',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
        503: {
          description: 'Keycloak could not be reached for this lookup',
          content: { 'application/json': { schema: ERROR_SCHEMA } },
        },
      },
    },
  };
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
export function setupDocs(app: NestFastifyApplication, core: CoreConfig, ops: OpsConfig): void {
  const base = `${core.prefix}/docs`;
  let json: string | undefined;
  const documentJson = () => (json ??= JSON.stringify(buildOpenApiDocument(app, core, ops)));
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
