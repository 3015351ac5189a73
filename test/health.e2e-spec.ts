import { call, RunningApp, startApp } from './support/app';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

describe('GET /health', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp();
  });
  afterAll(() => svc.close());

  it('answers without credentials', async () => {
    const res = await call(svc.url, 'GET', '/health', undefined, { auth: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('protects the other routes with Basic and a JSON 401 that challenges', async () => {
    const res = await call(svc.url, 'POST', '/tokens/validate', { level: 'study', method: 'get' }, { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(res.body).toMatchObject({ statusCode: 401 });
  });
});
