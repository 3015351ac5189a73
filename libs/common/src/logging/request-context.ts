import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/*
 * No AsyncLocalStorage here on purpose: on Node 20/22 it runs on async_hooks, and enabling it cost ~18% of the
 * validate route's throughput (npm run bench, "validate granted"). The request id reaches the lines that know their
 * request (access line, the exception filter's error lines) as a field; see LoggedMessage.
 */

/** An incoming X-Request-Id is kept when it is a short token of safe characters (a proxy's or a client's id). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Generated ids: a random prefix per process and a counter, unique across workers and replicas without a random
 * draw per request (randomUUID was ~1% of the validate route's CPU).
 */
const PREFIX = randomBytes(6).toString('hex');
let counter = 0;

/** The id of a request: the caller's X-Request-Id when safe, otherwise a new id. Fastify's `genReqId`. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && SAFE_REQUEST_ID.test(given)) return given;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PREFIX}-${counter.toString(36)}`;
}
