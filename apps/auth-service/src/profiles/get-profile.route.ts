import type { INestApplicationContext } from '@nestjs/common';
import type { PlainRoute } from '../http/plain-route';
import { GET_PROFILE_BODY, GetProfileDto } from './get-profile.dto';
import { ProfileService } from './profile.service';

const BEARER_EXAMPLE = 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...';
const USER_ID_EXAMPLE = 'f3c8a4e2-5b1d-4f0e-9c7a-2d6b8e1f0a93';

/**
 * `POST /user/get-profile`: the plugin asks it for every user token its cache does not know, so it is a plain
 * fastify route (plain-route.ts). The answer is the profile, or the JSON literal `null` for an unknown api-key or
 * user id (never an empty body, which the plugin would take for a failure).
 */
export function getProfileRoute(app: INestApplicationContext): PlainRoute<GetProfileDto> {
  const profiles = app.get(ProfileService);
  return {
    method: 'POST',
    url: '/user/get-profile',
    auth: 'basic',
    operationId: 'getProfile',
    tags: ['profiles'],
    summary: "A user's profile",
    description:
      'From a Keycloak access token or api-key (token-key/token-value), anonymous with no token, or by user-id. Always 200; ' +
      'the JSON literal null for an unknown api-key or user id; 503 when Keycloak cannot be reached for a lookup.',
    body: {
      name: 'GetProfileBody',
      schema: GET_PROFILE_BODY,
      examples: {
        bearer: {
          summary: 'a Keycloak user',
          value: { 'token-key': 'authorization', 'token-value': BEARER_EXAMPLE, 'server-id': null },
        },
        anonymous: { summary: 'no token', value: {} },
        'user-id': { summary: 'a user id (audit log)', value: { 'user-id': USER_ID_EXAMPLE } },
      },
    },
    ok: {
      description: 'the profile, or null',
      schema: {
        type: 'object',
        nullable: true,
        description: 'the profile, or the JSON literal null for an unknown api-key or user id',
        properties: {
          name: { type: 'string' },
          'authorized-labels': { type: 'array', items: { type: 'string' } },
          permissions: { type: 'array', items: { type: 'string' } },
          validity: { type: 'integer', minimum: 1 },
          'user-id': { type: 'string', nullable: true },
          groups: { type: 'array', items: { type: 'string' }, nullable: true },
        },
      },
      example: {
        name: 'Doctor Who',
        permissions: ['view', 'download', 'share'],
        'authorized-labels': ['*'],
        validity: 60,
        'user-id': USER_ID_EXAMPLE,
        groups: null,
      },
    },
    answers: { 503: { description: 'Keycloak could not be reached for this lookup' } },
    handle: (body) => profiles.getProfile(body),
  };
}
