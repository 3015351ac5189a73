import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { FromSchema } from 'json-schema-to-ts';

/**
 * Every error answer of the service: `message` is always a list (one entry per wrong field for bad input). Described
 * once: OpenAPI publishes this schema for every error answer, and ErrorBody derives from it.
 */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  additionalProperties: false,
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
} as const;
export type ErrorBody = FromSchema<typeof ERROR_SCHEMA>;

export function errorBody(statusCode: number, message: string | readonly string[], errorId?: string): ErrorBody {
  const body: ErrorBody = {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: typeof message === 'string' ? [message] : [...message],
  };
  if (errorId) body.errorId = errorId;
  return body;
}

export function newErrorId(): string {
  return randomUUID();
}

/** The error thrown by fastify itself (body too large, malformed JSON, ...): it carries a 4xx statusCode. */
export function fastifyClientError(err: unknown): { statusCode: number; message: string } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
  if (typeof e.code !== 'string' || !e.code.startsWith('FST_')) return undefined;
  return { statusCode: e.statusCode, message: typeof e.message === 'string' ? e.message : 'Bad request' };
}
