import type { FromSchema } from 'json-schema-to-ts';

/** POST /emails/send's answer, described once: OpenAPI publishes this schema and the service's type derives from it. */
export const SEND_EMAIL_ANSWER_SCHEMA = {
  type: 'object',
  required: ['success', 'details'],
  additionalProperties: false,
  properties: { success: { type: 'boolean' }, details: { type: 'string', nullable: true } },
} as const;
export type SendEmailAnswer = FromSchema<typeof SEND_EMAIL_ANSWER_SCHEMA>;
