import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** Every error answer of the service: `message` is always a list (one entry per wrong field for bad input). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string[];
  errorId?: string;
}

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
