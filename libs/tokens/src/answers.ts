import type { FromSchema } from 'json-schema-to-ts';
import { LEVELS } from './token-types';

/**
 * The answers of the token routes, each described once: the JSON schema below is what OpenAPI publishes
 * (`/docs-json`) and what the e2e contract test checks real answers against; the TypeScript type the service returns is
 * derived from it (json-schema-to-ts), so the code cannot answer a field the schema does not describe, nor forget one
 * it requires.
 */

/** How a protected link is opened (PROTOCOL.md: `password` or `email-code`). */
export const PROTECTION_KINDS = ['password', 'email-code'] as const;

/** Why decode gives no token type. */
const DECODE_ERROR_CODES = ['expired', 'invalid', 'unknown'] as const;
export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];

/** The kebab-case resource object of the wire. */
export const WIRE_RESOURCE_SCHEMA = {
  type: 'object',
  required: ['dicom-uid', 'orthanc-id', 'url', 'level'],
  additionalProperties: false,
  properties: {
    'dicom-uid': { type: 'string', nullable: true },
    'orthanc-id': { type: 'string', nullable: true },
    url: { type: 'string', nullable: true },
    level: { type: 'string', enum: LEVELS },
  },
} as const;
export type WireResource = FromSchema<typeof WIRE_RESOURCE_SCHEMA>;

/** PUT /tokens/{type} (PROTOCOL.md section 2). */
export const CREATE_TOKEN_ANSWER_SCHEMA = {
  type: 'object',
  required: ['request', 'token', 'url'],
  additionalProperties: false,
  properties: {
    request: {
      type: 'object',
      description: 'the request as understood: the normalised fields of the body',
      required: ['id', 'resources', 'type', 'expiration-date', 'validity-duration'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', nullable: true },
        resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
        type: { type: 'string' },
        'expiration-date': { type: 'string', nullable: true },
        'validity-duration': { type: 'integer', nullable: true },
        protection: {
          type: 'string',
          enum: PROTECTION_KINDS,
          description: 'only for a protected link: how it is opened (never the password)',
        },
      },
    },
    token: { type: 'string' },
    url: {
      type: 'string',
      nullable: true,
      description: 'the link to send (publication types, instant links; the share page for a protected link), or null',
    },
  },
} as const;
export type CreateTokenAnswer = FromSchema<typeof CREATE_TOKEN_ANSWER_SCHEMA>;

/** POST /tokens/decode (PROTOCOL.md section 3). */
export const DECODE_ANSWER_SCHEMA = {
  type: 'object',
  required: ['token-type', 'error-code', 'redirect-url', 'resources'],
  additionalProperties: false,
  properties: {
    'token-type': { type: 'string', nullable: true },
    'error-code': { type: 'string', nullable: true, enum: [...DECODE_ERROR_CODES, null] },
    'redirect-url': { type: 'string', nullable: true },
    resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
    protected: {
      type: 'boolean',
      enum: [true],
      description:
        'only for a protected link: true, with redirect-url the share page (which asks for the password or code) and no resources',
    },
  },
} as const;
export type DecodeAnswer = FromSchema<typeof DECODE_ANSWER_SCHEMA>;
