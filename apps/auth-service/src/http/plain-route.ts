import { Logger } from '@nestjs/common';
import type { OperationObject, PathItemObject, SchemaObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BasicCredentials, errorBody, LoginBackoff, sendError, toErrorResponse } from '@app/common';
import { ERROR_SCHEMA } from '../openapi/answer-schemas';
import { bodyErrorMessages, compileBodySchema, JsonSchema } from './body-schema';

/** A documented answer of a route: its description and, for JSON answers, schema and example. */
interface RouteAnswer {
  description: string;
  schema?: JsonSchema;
  example?: unknown;
}

/**
 * One route of the service served by fastify directly rather than through a Nest controller, described once: fastify
 * registers it from this (URL_PREFIX, credentials, body validation, answer), and the OpenAPI document shows it from
 * this. Used where Nest's per-request pipeline costs too much (the plugin's hot path: validate, get-profile, nginx's
 * guard); the answers keep the shapes of the Nest routes (same error JSON, 401 challenge, 400 naming each field).
 */
export interface PlainRoute<Body = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path, without URL_PREFIX. */
  url: string;
  /**
   * `basic`: a caller login of USERS, checked when the request arrives (onRequest), before its body is read: an
   * anonymous client cannot make the service read or parse a body. `public`: anyone.
   */
  auth: 'basic' | 'public';
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  /** The JSON body: checked against `schema` (see body-schema.ts) before the handler runs; a failure is a 400. */
  body?: {
    /** The name of the schema among the document's components. */
    name: string;
    schema: JsonSchema;
    examples: Record<string, { summary?: string; value: unknown }>;
  };
  /** The 200 answer. `serializeBySchema`: written by fast-json-stringify from `schema`, which must then be exact. */
  ok: RouteAnswer & { schema: JsonSchema; serializeBySchema?: boolean };
  /** Other answers (400 and 401 are documented from `body` and `auth`). */
  answers?: Record<number, RouteAnswer>;
  /** The answer (sent as JSON, `null` included); a thrown error is mapped as the Nest routes map theirs. */
  handle(body: Body, request: FastifyRequest, reply: FastifyReply): unknown;
}

export function registerPlainRoutes(
  fastify: FastifyInstance,
  prefix: string,
  credentials: BasicCredentials,
  backoff: LoginBackoff,
  routes: readonly PlainRoute[],
): void {
  const logger = new Logger('HttpError');
  const checkCaller = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (credentials.checkHeader(header) !== null) return;
    // A wrong credential (not a missing one) waits its address's backoff; the right one never does.
    if (header) await backoff.failed(request.socket.remoteAddress, request.headers['x-forwarded-for']);
    sendError(reply, errorBody(401, 'Unauthorized'));
    return reply as unknown as Promise<void>;
  };
  for (const route of routes) {
    const serialize = route.ok.serializeBySchema === true;
    fastify.route({
      method: route.method,
      url: `${prefix}${route.url}`,
      ...(route.auth === 'basic' ? { onRequest: checkCaller } : {}),
      schema: {
        ...(route.body ? { body: route.body.schema } : {}),
        ...(serialize ? { response: { 200: route.ok.schema } } : {}),
      },
      validatorCompiler: ({ schema }) => compileBodySchema(schema as JsonSchema),
      // The handler answers a refused body itself, with the service's error shape.
      attachValidation: true,
      async handler(request: FastifyRequest, reply: FastifyReply) {
        if (request.validationError) {
          // fastify types `validation` as any; it holds the errors of the ajv validatorCompiler above.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
          sendError(reply, errorBody(400, bodyErrorMessages(request.validationError.validation)));
          return reply;
        }
        try {
          const answer = await route.handle(request.body, request, reply);
          // A FastifyReply is a thenable that settles when the answer is written: awaiting it here would route a
          // socket error after the answer into the catch below, which answers again. Returned as before.
          /* eslint-disable @typescript-eslint/return-await */
          if (reply.sent) return reply;
          return serialize
            ? reply.send(answer)
            : reply.type('application/json; charset=utf-8').send(JSON.stringify(answer ?? null));
          /* eslint-enable @typescript-eslint/return-await */
        } catch (err) {
          sendError(reply, toErrorResponse(err, logger, request.id));
          return reply;
        }
      },
    });
  }
}

/** OpenAPI 3.0 knows no if/then/else (the other spellings are in the fields' descriptions): drop them. */
function toOpenApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'if' || key === 'then' || key === 'else') continue;
    out[key] = toOpenApiSchema(value);
  }
  if (Array.isArray(out.allOf)) {
    const kept = (out.allOf as object[]).filter((s) => Object.keys(s).length > 0);
    if (kept.length) out.allOf = kept;
    else delete out.allOf;
  }
  return out;
}

const json = (schema: unknown, example?: unknown) => ({
  'application/json': { schema: schema as SchemaObject, ...(example !== undefined ? { example } : {}) },
});

/** The routes' path items and body schemas for the OpenAPI document, under URL_PREFIX. */
export function plainRoutesOpenApi(
  routes: readonly PlainRoute[],
  prefix: string,
): { paths: Record<string, PathItemObject>; schemas: Record<string, SchemaObject> } {
  const paths: Record<string, PathItemObject> = {};
  const schemas: Record<string, SchemaObject> = {};
  for (const route of routes) {
    const responses: OperationObject['responses'] = {
      200: { description: route.ok.description, content: json(route.ok.schema, route.ok.example) },
    };
    if (route.body)
      responses[400] = {
        description: 'the body is invalid (each wrong field named in message)',
        content: json(ERROR_SCHEMA),
      };
    if (route.auth === 'basic')
      responses[401] = { description: 'missing or wrong Basic credentials', content: json(ERROR_SCHEMA) };
    for (const [status, answer] of Object.entries(route.answers ?? {}))
      responses[status] = {
        description: answer.description,
        content: json(answer.schema ?? ERROR_SCHEMA, answer.example),
      };
    const operation: OperationObject = {
      tags: route.tags,
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      security: route.auth === 'basic' ? [{ basic: [] }] : [],
      responses,
    };
    if (route.body) {
      schemas[route.body.name] = toOpenApiSchema(route.body.schema) as SchemaObject;
      operation.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: { $ref: `#/components/schemas/${route.body.name}` },
            examples: route.body.examples,
          },
        },
      };
    }
    const path = `${prefix}${route.url}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return { paths, schemas };
}
