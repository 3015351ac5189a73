import type { FastifyInstance } from 'fastify';

/**
 * Wire-level robustness that Nest's filters cannot see, because it happens in fastify before a route runs:
 * - a body whose Content-Type is missing or not JSON is still parsed as JSON (the Orthanc plugin's HTTP client
 *   does not always label it), and an empty body is `{}`;
 * - malformed JSON, a body over the limit and fastify's own errors answer the same JSON error shape;
 * - a body nested deeper than {@link MAX_JSON_DEPTH} is a 400 before it is parsed: no request of the contract nests
 *   more than a few levels, and class-transformer walks a body recursively, so a 1 MiB `[[[[...]]]]` would overflow
 *   the stack in the validation pipe (a 500) on every Nest route.
 */
export interface HardenOptions {
  /**
   * The paths whose HTML forms post `application/x-www-form-urlencoded` (the share page): there such a body is read as
   * a form (one string per field, the first of repeated ones). Elsewhere it is read as JSON, as any other body.
   */
  formPaths?: (url: string) => boolean;
}

export function hardenFastify(instance: FastifyInstance, options: HardenOptions = {}): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const type = req.headers['content-type'] ?? '';
    if (options.formPaths && /^application\/x-www-form-urlencoded\b/i.test(type) && options.formPaths(req.url)) {
      return done(null, parseForm(text));
    }
    if (text.length === 0 || text.trim().length === 0) return done(null, {});
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      const err = Object.assign(new Error(`The JSON request body is nested more than ${MAX_JSON_DEPTH} levels deep`), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON',
      });
      return done(err, undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = Object.assign(new Error('Malformed JSON in the request body'), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON',
      });
      done(err, undefined);
    }
  });
}

/** A urlencoded form as a plain object without prototype: one string per field (the first of a repeated one). */
function parseForm(text: string): Record<string, string> {
  const form = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(text)) {
    if (!(key in form)) form[key] = value;
  }
  return form;
}

/** The deepest nesting of arrays and objects a request body may have (the contract's bodies need 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * Does this JSON text nest arrays/objects more than `max` levels deep? One pass, no recursion, strings skipped
 * (brackets inside them do not count); meant to run before JSON.parse, so malformed text just gets a rough answer.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
