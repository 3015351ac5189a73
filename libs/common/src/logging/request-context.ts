import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/*
 * No AsyncLocalStorage here on purpose: on Node 20/22 it runs on async_hooks, and enabling it cost ~18% of the
 * validate route's throughput (npm run bench, "validate granted"). The request id reaches the lines that know their
 * request (access line, the exception filter's error lines) as a field; see LoggedMessage.
 */

/** An incoming X-Request-Id is kept when it is a short token of safe characters (a proxy's or a client's id). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The id of a request: the caller's X-Request-Id when safe, otherwise a new UUID. Fastify's `genReqId`. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
