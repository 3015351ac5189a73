import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BasicCredentials, CoreConfig, errorBody, sendError, toErrorResponse } from '@app/common';

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export interface FastPostRoute<T> {
  /** The path, without URL_PREFIX. */
  url: string;
  /** The body check (the DTO's rules, by hand): errors name the field. */
  parse(body: unknown): Parsed<T>;
  handle(value: T, request: FastifyRequest): unknown;
  /** JSON schema of the 200 answer, to serialise by schema; without it the answer is JSON.stringify'd (null included). */
  response?: Record<string, unknown>;
}

/**
 * A POST route of the Orthanc plugin's hot path (validate, get-profile) as a plain fastify route: it skips Nest's
 * per-request pipeline (guard, pipe, interceptors) and does the same work directly: Basic credentials in constant
 * time (the few accepted headers remembered), the body checked by hand, the handler, and errors mapped as the Nest
 * routes map them (same JSON shapes, 401 challenge, 400 naming the field, 5xx with an errorId).
 */
export function registerFastPost<T>(
  app: NestFastifyApplication,
  core: CoreConfig,
  credentials: BasicCredentials,
  route: FastPostRoute<T>,
): void {
  const logger = new Logger('HttpError');
  app
    .getHttpAdapter()
    .getInstance()
    .route({
      method: 'POST',
      url: `${core.prefix}${route.url}`,
      ...(route.response ? { schema: { response: { 200: route.response } } } : {}),
      async handler(request: FastifyRequest, reply: FastifyReply) {
        if (!credentials.checkHeader(request.headers.authorization)) {
          sendError(reply, errorBody(401, 'Unauthorized'));
          return reply;
        }
        const parsed = route.parse(request.body);
        if (!parsed.ok) {
          sendError(reply, errorBody(400, parsed.errors));
          return reply;
        }
        try {
          const answer = await route.handle(parsed.value, request);
          return route.response
            ? reply.send(answer)
            : reply.type('application/json; charset=utf-8').send(JSON.stringify(answer));
        } catch (err) {
          sendError(reply, toErrorResponse(err, logger));
          return reply;
        }
      },
    });
}
