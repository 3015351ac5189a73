import type { SchemaObject } from '@nestjs/swagger';

/** Schemas of answers that are interfaces in the code (no class for the scanner to read). */
export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: {
      type: 'array',
      items: { type: 'string' },
      description: 'what went wrong; for bad input, one entry per wrong field, naming it',
      example: ['level must be one of the following values: patient, study, series, instance, system'],
    },
    errorId: { type: 'string', description: '5xx only: the id under which the cause is logged' },
  },
};

const WIRE_RESOURCE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    'dicom-uid': { type: 'string', nullable: true },
    'orthanc-id': { type: 'string', nullable: true },
    url: { type: 'string', nullable: true },
    level: { type: 'string', enum: ['patient', 'study', 'series', 'instance', 'system'] },
  },
};

export const CREATE_TOKEN_ANSWER_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['request', 'token', 'url'],
  properties: {
    request: {
      type: 'object',
      properties: {
        id: { type: 'string', nullable: true },
        resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
        type: { type: 'string' },
        'expiration-date': { type: 'string', nullable: true },
        'validity-duration': { type: 'integer', nullable: true },
      },
    },
    token: { type: 'string' },
    url: {
      type: 'string',
      nullable: true,
      description: 'the link to send (publication types, instant links), or null',
    },
  },
};

export const DECODE_ANSWER_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['token-type', 'error-code', 'redirect-url', 'resources'],
  properties: {
    'token-type': { type: 'string', nullable: true },
    'error-code': { type: 'string', nullable: true, enum: ['expired', 'invalid', 'unknown'] },
    'redirect-url': { type: 'string', nullable: true },
    resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
  },
};

export const ROLES_CONFIG_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['roles'],
  properties: {
    roles: {
      type: 'object',
      description: 'role name -> what it grants',
      additionalProperties: {
        type: 'object',
        properties: {
          permissions: { type: 'array', items: { type: 'string' } },
          'authorized-labels': { type: 'array', items: { type: 'string' } },
        },
      },
    },
    'available-labels': { type: 'array', items: { type: 'string' } },
  },
};

export const SEND_EMAIL_ANSWER_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { success: { type: 'boolean' }, details: { type: 'string', nullable: true } },
};

export const SHARE_VIEW_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
    type: { type: 'string' },
    resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
    creator: {
      type: 'object',
      nullable: true,
      properties: { kind: { type: 'string' }, name: { type: 'string' }, 'user-id': { type: 'string', nullable: true } },
    },
    'created-at': { type: 'string', nullable: true },
    'expires-at': { type: 'string', nullable: true },
    'revoked-at': { type: 'string', nullable: true },
    'revoked-by': { type: 'string', nullable: true },
    'token-hash': { type: 'string' },
    'parent-id': {
      type: 'string',
      description: 'a child token of a protected link (minted by the share page): its parent share; absent otherwise',
    },
  },
};

/** `access` of GET /shares/{id}: the share's access trail (protected links, issue 15). */
const SHARE_ACCESS_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    counts: {
      type: 'object',
      description:
        'kind (page-open, unlock, code-sent, child-grant) -> outcome (ok, failed, locked, revoked, expired) -> events, over the whole life of the share',
      additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
    },
    'first-opened': { type: 'string', nullable: true, description: 'first time the share page was opened' },
    'opens-by-day': {
      type: 'object',
      description: 'page views per UTC day (YYYY-MM-DD), within retention-days: views are counted, not kept one by one',
      additionalProperties: { type: 'integer' },
    },
    'last-opened': { type: 'string', nullable: true },
    recent: {
      type: 'array',
      description: 'newest first, at most recent-limit, none older than retention-days (personal data)',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string' },
          kind: { type: 'string' },
          outcome: { type: 'string' },
          reason: { type: 'string', nullable: true },
          'child-id': { type: 'string', nullable: true },
          'client-address': { type: 'string', nullable: true },
          'user-agent': { type: 'string', nullable: true },
        },
      },
    },
    'recent-limit': { type: 'integer' },
    'retention-days': { type: 'integer' },
  },
};

export const SHARE_WITH_ACCESS_SCHEMA: SchemaObject = {
  ...SHARE_VIEW_SCHEMA,
  properties: {
    ...SHARE_VIEW_SCHEMA.properties,
    protection: {
      type: 'object',
      nullable: true,
      description: 'how a protected link opens; null for an ordinary link',
      properties: {
        kind: { type: 'string', enum: ['password', 'email-code'] },
        'bound-addresses': { type: 'integer', description: 'email-code: how many addresses a code may be sent to' },
        failures: { type: 'integer', description: 'failed unlocks since the last success or lock' },
        'locked-until': { type: 'string', format: 'date-time', nullable: true },
      },
    },
    access: SHARE_ACCESS_SCHEMA,
  },
};
