import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BasicCredentials, CoreConfig, CounterSeries, MetricsService } from '@app/common';
import { parseValidateBody, TokensService } from '@app/tokens';
import { registerFastPost } from '../http/fast-post.route';

/**
 * `POST /tokens/validate`: the authorization plugin calls it for every access its cache does not answer (hundreds
 * per opened study), so it is a plain fastify route (registerFastPost) answering by schema.
 */
export function registerValidateRoute(
  app: NestFastifyApplication,
  core: CoreConfig,
  credentials: BasicCredentials,
): void {
  const tokens = app.get(TokensService);
  // Decisions are counted on label children bound once (per denial reason, on its first occurrence).
  const validations = app.get(MetricsService).validations;
  const granted = validations.bind('granted', '');
  const denied = new Map<string, CounterSeries>();
  const deniedFor = (reason = 'unspecified') => {
    let child = denied.get(reason);
    if (!child) denied.set(reason, (child = validations.bind('denied', reason)));
    return child;
  };
  registerFastPost(app, core, credentials, {
    url: '/tokens/validate',
    parse: parseValidateBody,
    response: {
      type: 'object',
      properties: { granted: { type: 'boolean' }, validity: { type: 'integer' } },
      required: ['granted', 'validity'],
    },
    handle(value, request) {
      const decision = tokens.validate(value, request.headers);
      if (decision.granted) granted.inc();
      else deniedFor(decision.reason).inc();
      return { granted: decision.granted, validity: decision.validity };
    },
  });
}
