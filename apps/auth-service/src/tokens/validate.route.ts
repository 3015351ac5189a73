import type { INestApplicationContext } from '@nestjs/common';
import { CounterSeries, MetricsService } from '@app/common';
import { readValidateBody, TokensService, VALIDATE_TOKEN_BODY } from '@app/tokens';
import type { ValidateTokenBody } from '@app/tokens';
import type { PlainRoute } from '../http/plain-route';

/**
 * `POST /tokens/validate`: the authorization plugin calls it for every access its cache does not answer (hundreds
 * per opened study), so it is a plain fastify route (plain-route.ts), answering by schema.
 */
export function validateRoute(app: INestApplicationContext): PlainRoute<ValidateTokenBody> {
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
  return {
    method: 'POST',
    url: '/tokens/validate',
    auth: 'basic',
    operationId: 'validateToken',
    tags: ['tokens'],
    summary: "Validate a share token (the authorization plugin's hot path)",
    description:
      'May this token access this resource with this method? The token is read from the header named by `token-key` ' +
      '(e.g. `token`), else from `token-value`. `validity` is how long (s) the plugin may cache the answer.',
    body: {
      name: 'ValidateTokenBody',
      schema: VALIDATE_TOKEN_BODY,
      examples: {
        plugin: {
          summary: 'a study viewed through a share link',
          value: {
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
    ok: {
      description: 'the decision',
      schema: {
        type: 'object',
        required: ['granted', 'validity'],
        properties: {
          granted: { type: 'boolean' },
          validity: { type: 'integer', description: 'seconds the plugin may cache this answer' },
        },
      },
      example: { granted: true, validity: 60 },
      serializeBySchema: true,
    },
    handle(body, request) {
      const decision = tokens.validate(readValidateBody(body), request.headers);
      if (decision.granted) granted.inc();
      else deniedFor(decision.reason).inc();
      return { granted: decision.granted, validity: decision.validity };
    },
  };
}
