import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

/**
 * Interop with the Python orthanc-auth-service: every token it issued (recorded in test/fixtures/python-service.json)
 * validates and decodes here as `expected` says, and tokens created here from the same bodies give the same links.
 */
const FIXTURE = join(__dirname, 'fixtures/python-service.json');
const vectors = JSON.parse(readFileSync(FIXTURE, 'utf8'));

const caseRows: [string, any][] = vectors.cases.map((c: any) => [c.name, c]);
const tamperedRows: [string, any][] = vectors.tampered.map((t: any) => [t.name, t]);

interface Probe {
  probe: string;
  method: string;
  via: string;
  body: any;
  headers: Record<string, string>;
  status: number;
  expected: any;
}

describe('Python-service vectors', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({
      SECRET_KEY: vectors.secret,
      USERS: JSON.stringify(vectors.users),
      ...vectors.config,
    });
  });
  afterAll(() => svc.close());

  it('holds the 74 recorded cases', () => {
    expect(vectors.cases).toHaveLength(74);
  });

  describe.each(caseRows)('%s', (_name, c: any) => {
    const refToken: string = c.create.reference.token;

    it('validates the Python token as expected for every probe', async () => {
      const results = await Promise.all(
        c.validate.map((p: Probe) => call(svc.url, 'POST', '/tokens/validate', p.body, { headers: p.headers })),
      );
      c.validate.forEach((p: Probe, i: number) => {
        const res = results[i];
        expect({ probe: `${p.probe}/${p.method}/${p.via}`, status: res.status, body: res.body }).toEqual({
          probe: `${p.probe}/${p.method}/${p.via}`,
          status: p.status,
          body: p.expected,
        });
      });
    });

    it('decodes the Python token as expected', async () => {
      const res = await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': refToken });
      expect(res.status).toBe(c.decode.status);
      expect(res.body).toEqual(c.decode.expected);
    });

    it('creates a token from the same body with the same link, request echo and decode', async () => {
      const res = await call(svc.url, 'PUT', `/tokens/${c.create.type}`, c.create.body);
      expect(res.status).toBe(200);
      const ours: string = res.body.token;
      expect(typeof ours).toBe('string');
      const ref = c.create.reference;
      expect(res.body.url).toBe(ref.url === null ? null : ref.url.split(refToken).join(ours));
      const { 'expiration-date': refExp, ...refRest } = ref.request;
      const { 'expiration-date': ourExp, ...ourRest } = res.body.request;
      expect(ourRest).toEqual(refRest);
      if (c.create.body['validity-duration'] == null) {
        expect(ourExp).toBe(refExp);
      } else {
        // Computed from "now": the same instant plus the duration, within the run's few seconds.
        const expected = Date.now() + c.create.body['validity-duration'] * 1000;
        expect(Math.abs(Date.parse(ourExp) - expected)).toBeLessThan(60_000);
      }
      // Our token decodes like the Python one (same resources, same links with our token).
      const decoded = await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': ours });
      const expected = JSON.parse(JSON.stringify(c.decode.expected).split(refToken).join(ours));
      expect(decoded.body).toEqual(expected);
    });
  });

  it.each(tamperedRows)('refuses the tampered token %s', async (_n, t: any) => {
    const res = await call(svc.url, 'POST', '/tokens/validate', t.body);
    expect(res.status).toBe(t.status);
    expect(res.body).toMatchObject(t.expected);
    const decoded = await call(svc.url, 'POST', '/tokens/decode', {
      'token-key': 'token',
      'token-value': t.body['token-value'],
    });
    expect(decoded.body).toEqual({ 'token-type': null, 'error-code': 'invalid', 'redirect-url': null, resources: [] });
  });
});
