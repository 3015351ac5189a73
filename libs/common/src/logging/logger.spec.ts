import { createRootLogger, PinoNestLogger } from './logger';
import { REDACTED, secretScrubber } from './redaction';
import { requestIdOf } from './request-context';
import type { IncomingMessage } from 'node:http';

function capture(secrets: string[] = [], level: 'info' | 'trace' = 'trace') {
  const lines: string[] = [];
  const logger = createRootLogger({
    level,
    format: 'json',
    secrets,
    destination: { write: (s: string) => void lines.push(s) },
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('createRootLogger', () => {
  it('redacts credential headers and body fields wherever a structured object carries them', () => {
    const { logger, parsed } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Basic dTpw', token: 't0k', 'api-key': 'k3y', cookie: 'c=1', host: 'pacs' } },
        body: { 'token-value': 'tv' },
        'token-value': 'tv',
        password: 'pw',
        nested: { secret: 's', deeper: { 'token-value': 'tv2' } },
      },
      'hello',
    );
    const [line] = parsed();
    expect(line.req.headers).toEqual({
      authorization: REDACTED,
      token: REDACTED,
      'api-key': REDACTED,
      cookie: REDACTED,
      host: 'pacs',
    });
    expect(line).toMatchObject({
      body: REDACTED,
      'token-value': REDACTED,
      password: REDACTED,
      nested: { secret: REDACTED, deeper: { 'token-value': REDACTED } },
    });
  });

  it('blanks the configured secret values out of messages and errors, JSON-escaped and URL-encoded too', () => {
    const { logger, lines } = capture(['s3cr"et-Key', 'pass word!']);
    logger.error({ err: new Error('could not use s3cr"et-Key') }, 'login with pass word! failed, see /x/pass%20word!');
    const out = lines.join('');
    expect(out).not.toContain('s3cr');
    expect(out).not.toContain('pass word');
    expect(out).not.toContain('pass%20word');
    expect(out.split(REDACTED).length - 1).toBeGreaterThanOrEqual(3);
  });

  it('blanks Authorization values and JWT-shaped strings in free text', () => {
    const scrub = secretScrubber([]);
    expect(scrub('got Basic c2hhcmUtdXNlcjpjaGFuZ2UtbWU= from x')).toBe(`got Basic ${REDACTED} from x`);
    expect(scrub('bearer abc.def-ghi')).toBe(`bearer ${REDACTED}`);
    expect(scrub('/p/Bearer%20eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe(`/p/Bearer%20${REDACTED}`);
    expect(scrub('short secrets are left to the patterns: ab')).toBe('short secrets are left to the patterns: ab');
  });
});

describe('PinoNestLogger', () => {
  it('writes Nest Logger calls as JSON lines with context, stack and the fields of a LoggedMessage', () => {
    const { logger, parsed } = capture([], 'info');
    const nest = new PinoNestLogger(logger);
    nest.log('outside', 'Boot');
    nest.error({ msg: 'failed', reqId: 'req-42' }, 'Error: x\n    at y', 'HttpError');
    nest.warn({ a: 1 }, 'Svc');
    nest.debug('not at info', 'Svc');
    nest.log('Mapped {/x, GET} route', 'RouterExplorer');
    expect(parsed()).toEqual([
      expect.objectContaining({ level: 'info', context: 'Boot', msg: 'outside' }),
      expect.objectContaining({
        level: 'error',
        context: 'HttpError',
        reqId: 'req-42',
        stack: 'Error: x\n    at y',
        msg: 'failed',
      }),
      expect.objectContaining({ level: 'warn', context: 'Svc', msg: '{"a":1}' }),
    ]);
    expect(parsed()[0]).not.toHaveProperty('reqId');
  });
});

describe('requestIdOf', () => {
  const req = (id?: string | string[]) =>
    ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;
  it('keeps a short safe id and replaces anything else with a new, distinct one', () => {
    expect(requestIdOf(req('abc-123.x:y_z'))).toBe('abc-123.x:y_z');
    const generated = new Set<string>();
    for (const bad of [undefined, '', 'a b', 'x'.repeat(65), 'id\n', '<script>', ['a', 'b']]) {
      const id = requestIdOf(req(bad));
      expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
      generated.add(id);
    }
    expect(generated.size).toBe(7);
  });
});
