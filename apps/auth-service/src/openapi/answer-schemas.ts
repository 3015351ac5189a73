import type { SchemaObject } from '@nestjs/swagger';
import type { FromSchema } from 'json-schema-to-ts';
import { ERROR_SCHEMA as ERROR } from '@app/common';
import { SEND_EMAIL_ANSWER_SCHEMA as SEND_EMAIL_ANSWER } from '@app/emails';
import { PERMISSIONS } from '@app/permissions';
import type { RolesConfig } from '@app/permissions';
import type { ShareAccessView, ShareProtectionView, ShareView } from '@app/shares';
import {
  CREATE_TOKEN_ANSWER_SCHEMA as CREATE_TOKEN_ANSWER,
  DECODE_ANSWER_SCHEMA as DECODE_ANSWER,
  PROTECTION_KINDS,
  WIRE_RESOURCE_SCHEMA,
} from '@app/tokens';

/**
 * The answers' schemas as the controllers cite them in OpenAPI. Each is described once, where its type is: the type
 * the code returns derives from the schema (json-schema-to-ts), and test/openapi-contract.e2e-spec.ts checks real
 * answers against the published document. The schemas are plain JSON Schema `as const` (readonly, for FromSchema);
 * `openApi` hands them to @nestjs/swagger, whose SchemaObject type wants mutable arrays.
 */
const openApi = (schema: object): SchemaObject => schema;

export const ERROR_SCHEMA = openApi(ERROR);
export const CREATE_TOKEN_ANSWER_SCHEMA = openApi(CREATE_TOKEN_ANSWER);
export const DECODE_ANSWER_SCHEMA = openApi(DECODE_ANSWER);
export const SEND_EMAIL_ANSWER_SCHEMA = openApi(SEND_EMAIL_ANSWER);

/** GET and PUT /settings/roles (the roles file). */
const ROLES_CONFIG = {
  type: 'object',
  required: ['roles', 'available-labels'],
  additionalProperties: false,
  properties: {
    roles: {
      type: 'object',
      description: 'role name -> what it grants',
      additionalProperties: {
        type: 'object',
        required: ['permissions', 'authorized-labels'],
        additionalProperties: false,
        properties: {
          permissions: { type: 'array', items: { type: 'string', enum: PERMISSIONS } },
          'authorized-labels': { type: 'array', items: { type: 'string' } },
        },
      },
    },
    'available-labels': { type: 'array', items: { type: 'string' } },
  },
} as const;
export const ROLES_CONFIG_SCHEMA = openApi(ROLES_CONFIG);

const NULLABLE_STRING = { type: 'string', nullable: true } as const;

/** A share as GET /shares and the CLI show it. */
const SHARE_VIEW = {
  type: 'object',
  required: [
    'id',
    'status',
    'type',
    'resources',
    'creator',
    'created-at',
    'expires-at',
    'revoked-at',
    'revoked-by',
    'token-hash',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
    type: { type: 'string' },
    resources: { type: 'array', items: WIRE_RESOURCE_SCHEMA },
    creator: {
      type: 'object',
      nullable: true,
      required: ['kind', 'name', 'user-id'],
      additionalProperties: false,
      properties: { kind: { type: 'string' }, name: { type: 'string' }, 'user-id': NULLABLE_STRING },
    },
    'created-at': NULLABLE_STRING,
    'expires-at': NULLABLE_STRING,
    'revoked-at': NULLABLE_STRING,
    'revoked-by': NULLABLE_STRING,
    'token-hash': { type: 'string' },
    'parent-id': {
      type: 'string',
      description: 'a child token of a protected link (minted by the share page): its parent share; absent otherwise',
    },
  },
} as const;
export const SHARE_VIEW_SCHEMA = openApi(SHARE_VIEW);

/** `access` of GET /shares/{id}: the share's access trail (protected links). */
const SHARE_ACCESS = {
  type: 'object',
  required: ['counts', 'first-opened', 'last-opened', 'opens-by-day', 'recent', 'recent-limit', 'retention-days'],
  additionalProperties: false,
  properties: {
    counts: {
      type: 'object',
      description:
        'kind (page-open, unlock, code-sent, child-grant) -> outcome (ok, failed, locked, revoked, expired) -> events, over the whole life of the share',
      additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } },
    },
    'first-opened': { ...NULLABLE_STRING, description: 'first time the share page was opened' },
    'opens-by-day': {
      type: 'object',
      description: 'page views per UTC day (YYYY-MM-DD), within retention-days: views are counted, not kept one by one',
      additionalProperties: { type: 'integer' },
    },
    'last-opened': NULLABLE_STRING,
    recent: {
      type: 'array',
      description: 'newest first, at most recent-limit, none older than retention-days (personal data)',
      items: {
        type: 'object',
        required: ['at', 'kind', 'outcome', 'reason', 'child-id', 'client-address', 'user-agent'],
        additionalProperties: false,
        properties: {
          at: { type: 'string' },
          kind: { type: 'string' },
          outcome: { type: 'string' },
          reason: NULLABLE_STRING,
          'child-id': NULLABLE_STRING,
          'client-address': NULLABLE_STRING,
          'user-agent': NULLABLE_STRING,
        },
      },
    },
    'recent-limit': { type: 'integer' },
    'retention-days': { type: 'integer' },
  },
} as const;

/** How a protected link opens; null for an ordinary link. */
const SHARE_PROTECTION = {
  type: 'object',
  nullable: true,
  description: 'how a protected link opens; null for an ordinary link',
  required: ['kind', 'bound-addresses', 'failures', 'locked-until'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: PROTECTION_KINDS },
    'bound-addresses': { type: 'integer', description: 'email-code: how many addresses a code may be sent to' },
    failures: { type: 'integer', description: 'failed unlocks since the last success or lock' },
    'locked-until': { type: 'string', format: 'date-time', nullable: true },
  },
} as const;

/** GET /shares/{id}: the share, how it opens, and its access trail. */
const SHARE_WITH_ACCESS = {
  ...SHARE_VIEW,
  required: [...SHARE_VIEW.required, 'protection', 'access'],
  properties: { ...SHARE_VIEW.properties, protection: SHARE_PROTECTION, access: SHARE_ACCESS },
} as const;
export const SHARE_WITH_ACCESS_SCHEMA = openApi(SHARE_WITH_ACCESS);

/*
 * The share views' types are libs/shares' (the registry's views); until they derive from these schemas there, the
 * compiler holds both to the same shape: a field added, removed or retyped on one side and not the other fails the
 * build.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// T is only a constraint to check (true, or the build fails), never a value: the one use is the point.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const sameShape = <T extends true>(): T | undefined => undefined;
sameShape<Same<FromSchema<typeof SHARE_VIEW>, ShareView>>();
sameShape<Same<FromSchema<typeof SHARE_ACCESS>, ShareAccessView>>();
sameShape<Same<FromSchema<typeof SHARE_PROTECTION>, ShareProtectionView | null>>();
sameShape<Same<FromSchema<typeof ROLES_CONFIG>, RolesConfig>>();
