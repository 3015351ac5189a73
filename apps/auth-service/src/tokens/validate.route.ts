import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BasicCredentials, CoreConfig, CounterSeries, errorBody, MetricsService, sendError } from '@app/common';
import { parseValidateBody, TokensService } from '@app/tokens';

/**
 * `POST /tokens/validate` as a plain fastify route: the authorization plugin calls it for every access its cache
 * does not answer (hundreds per opened study), so it skips Nest's per-request pipeline (guard, pipe, interceptors)
 * and does the same work directly: Basic credentials in constant time, the body checked by hand with the DTO's
 * rules, the decision of TokensService, and a response serialised by schema. Its answers, errors included, are the
 * ones the Nest routes give (same JSON shapes, 401 challenge, 400 naming the field).
 */
export function registerValidateRoute(app: NestFastifyApplication, core: CoreConfig): void {
  const tokens = app.get(TokensService);
  const credentials = new BasicCredentials(core.users);
  const fastify = app.getHttpAdapter().getInstance();
  // Decisions are counted on label children bound once (per denial reason, on its first occurrence).
  const validations = app.get(MetricsService).validations;
  const granted = validations.bind('granted', '');
  const denied = new Map<string, CounterSeries>();
  const deniedFor = (reason = 'unspecified') => {
    let child = denied.get(reason);
    if (!child) denied.set(reason, (child = validations.bind('denied', reason)));
    return child;
  };
  fastify.route({
    method: 'POST',
    url: `${core.prefix}/tokens/validate`,
    schema: {
      response: {
        200: {
          type: 'object',
          properties: { granted: { type: 'boolean' }, validity: { type: 'integer' } },
          required: ['granted', 'validity'],
        },
      },
    },
    handler(request: FastifyRequest, reply: FastifyReply) {
      if (!credentials.checkHeader(request.headers.authorization)) {
        sendError(reply, errorBody(401, 'Unauthorized'));
        return reply;
      }
      const parsed = parseValidateBody(request.body);
      if (!parsed.ok) {
        sendError(reply, errorBody(400, parsed.errors));
        return reply;
      }
      const decision = tokens.validate(parsed.value, request.headers);
      if (decision.granted) granted.inc();
      else deniedFor(decision.reason).inc();
      return reply.send({ granted: decision.granted, validity: decision.validity });
    },
  });
}
