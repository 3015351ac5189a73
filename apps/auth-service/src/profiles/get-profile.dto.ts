import type { FromSchema } from 'json-schema-to-ts';

const text = (maxLength: number, description: string) =>
  ({ type: 'string', nullable: true, maxLength, description }) as const;

/**
 * The body of `POST /user/get-profile` (PROTOCOL.md section 6), as the JSON schema the route compiles and the OpenAPI
 * document shows: a user token (`token-key` names the header it came in, e.g. `token`, `authorization` or
 * `api-key`; `token-value` is the header's value), nothing (anonymous), or a `user-id` to name. Unknown keys are
 * ignored.
 */
export const GET_PROFILE_BODY = {
  type: 'object',
  properties: {
    'token-key': text(256, 'the header the user token came in: token, authorization or api-key'),
    'token-value': text(65536, 'the header\'s value (a Keycloak access token, "Bearer ..." or an api-key)'),
    'server-id': text(1024, "the Orthanc server's id"),
    'user-id': text(256, 'a Keycloak user id to name (audit log)'),
  },
} as const;

export type GetProfileDto = FromSchema<typeof GET_PROFILE_BODY>;
