import type { FromSchema } from 'json-schema-to-ts';
import { LEVELS, METHODS } from '../token-types';

const text = (maxLength: number, description: string) =>
  ({ type: 'string', nullable: true, maxLength, description }) as const;

const DICOM_UID = text(1024, "the resource's DICOM UID (dicom_uid accepted too)");
const ORTHANC_ID = text(1024, "the resource's Orthanc id (orthanc_id accepted too)");
const SERVER_ID = text(1024, "the Orthanc server's id (identifier, the spelling of older plugins, accepted too)");

/** `other` is read only when `key` is absent (the kebab-case spelling wins), so it is checked only then. */
const alsoSpelled = (key: string, other: string, schema: object) => ({
  if: { required: [key] },
  else: { properties: { [other]: schema } },
});

/**
 * The body of `POST /tokens/validate` as the authorization plugin sends it (PROTOCOL.md section 4), as the JSON
 * schema the route compiles (ajv, no coercion) and the OpenAPI document shows. Unknown keys (`labels`, ...) are
 * ignored; lengths (in characters) bound the work a request can cause.
 */
export const VALIDATE_TOKEN_BODY = {
  type: 'object',
  required: ['level', 'method'],
  properties: {
    'dicom-uid': DICOM_UID,
    'orthanc-id': ORTHANC_ID,
    'token-key': text(256, 'the name of the request header that carries the token, e.g. token'),
    'token-value': text(65536, 'the token, when no header named by token-key carries it'),
    'server-id': SERVER_ID,
    level: { type: 'string', enum: LEVELS, description: 'the level of the resource' },
    method: { type: 'string', enum: METHODS, description: 'the HTTP method of the request to Orthanc' },
    uri: text(8192, 'the requested URI'),
  },
  allOf: [
    alsoSpelled('dicom-uid', 'dicom_uid', DICOM_UID),
    alsoSpelled('orthanc-id', 'orthanc_id', ORTHANC_ID),
    alsoSpelled('server-id', 'identifier', SERVER_ID),
  ],
} as const;

export type ValidateTokenBody = FromSchema<typeof VALIDATE_TOKEN_BODY>;

/** The validate request with the other spellings read: what TokensService.validate decides on. */
export type ValidateTokenDto = Pick<
  ValidateTokenBody,
  'dicom-uid' | 'orthanc-id' | 'token-key' | 'token-value' | 'server-id' | 'level' | 'method' | 'uri'
>;

type Text = string | null | undefined;

/** A body VALIDATE_TOKEN_BODY accepted, with `dicom_uid`, `orthanc_id` and `identifier` read where kebab-case is absent. */
export function readValidateBody(body: ValidateTokenBody): ValidateTokenDto {
  return {
    'dicom-uid': body['dicom-uid'] !== undefined ? body['dicom-uid'] : (body.dicom_uid as Text),
    'orthanc-id': body['orthanc-id'] !== undefined ? body['orthanc-id'] : (body.orthanc_id as Text),
    'token-key': body['token-key'],
    'token-value': body['token-value'],
    'server-id': body['server-id'] !== undefined ? body['server-id'] : (body.identifier as Text),
    level: body.level,
    method: body.method,
    uri: body.uri,
  };
}
