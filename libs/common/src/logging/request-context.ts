import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What a log line learns about the request it is written for: its id. */
export interface RequestContext {
  readonly id: string;
}

/** The request being served, for the log lines written while serving it (set by an onRequest hook). */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** An incoming X-Request-Id is kept when it is a short token of safe characters (a proxy's or a client's id). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of a request: the caller's X-Request-Id when safe, otherwise a new UUID. Fastify's `genReqId`. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
