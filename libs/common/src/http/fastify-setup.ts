import type { FastifyInstance } from 'fastify';

/**
 * Wire-level robustness that Nest's filters cannot see, because it happens in fastify before a route runs:
 * - a body whose Content-Type is missing or not JSON is still parsed as JSON (the Orthanc plugin's HTTP client
 *   does not always label it), and an empty body is `{}`;
 * - malformed JSON, a body over the limit and fastify's own errors answer the same JSON error shape.
 */
export function hardenFastify(instance: FastifyInstance): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0 || text.trim().length === 0) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = Object.assign(new Error('Malformed JSON in the request body'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON' });
      done(err, undefined);
    }
  });
}
