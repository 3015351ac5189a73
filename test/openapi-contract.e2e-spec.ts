/**
 * The OpenAPI contract: every route the published document (`/docs-json`) describes is called, for its answers and
 * its error answers, and each real answer is checked against the document with ajv (checkAnswersAgainstOpenApi): a
 * field added to an answer and not to its schema, one removed, a status not documented, all fail here. The other
 * suites that call `checkAnswersAgainstOpenApi()` check their own answers the same way.
 */
import { call, RunningApp, startApp } from './support/app';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';
import { createProtected, formTokenOf, STUDY } from './support/share-page';
import { shareIdOf } from './support/shares';

const contract = checkAnswersAgainstOpenApi();

describe('every answer as the OpenAPI document describes it', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({
      PUBLIC_OHIF_ROOT: 'http://localhost/ohif/',
      PUBLIC_SHARE_PAGE_ROOT: 'http://localhost:8000/share/',
      ENABLE_EMAILS: 'true',
      EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
      EMAILS_SMTP_SERVER_PORT: '9',
      EMAILS_SMTP_SERVER_USES_TLS: 'false',
      EMAILS_SENDER_ADDRESS: 'pacs@example.org',
    });
  });
  afterAll(() => svc.close());

  const create = (body: Record<string, unknown>, type = 'ohif-viewer-publication') =>
    call(svc.url, 'PUT', `/tokens/${type}`, { id: 'contract', type, resources: [STUDY], ...body });

  it('health, root, readiness and metrics', async () => {
    expect((await call(svc.url, 'GET', '/health', undefined, { auth: null })).status).toBe(200);
    expect((await call(svc.url, 'GET', '/', undefined, { auth: null })).status).toBe(200);
    expect((await call(svc.url, 'GET', '/ready')).status).toBe(200);
    expect((await call(svc.url, 'GET', '/metrics')).status).toBe(200);
    expect((await call(svc.url, 'GET', '/metrics', undefined, { auth: null })).status).toBe(401);
  });

  it('token creation, decode and validate: ordinary and protected links, and their errors', async () => {
    const plain = await create({ 'validity-duration': 3600 });
    expect(plain.status).toBe(200);
    const protectedLink = await createProtected(svc.url, { password: 'a-long-password' });
    expect(protectedLink.request.protection).toBe('password');
    expect((await create({ resources: [{ level: 'galaxy' }] })).status).toBe(400);
    expect((await call(svc.url, 'PUT', '/tokens/ohif-viewer-publication', {}, { auth: null })).status).toBe(401);

    const decode = (token: string) =>
      call(svc.url, 'POST', '/tokens/decode', { 'token-key': 'token', 'token-value': token });
    expect((await decode(plain.body.token)).body['token-type']).toBe('ohif-viewer-publication');
    expect((await decode(protectedLink.token)).body.protected).toBe(true);
    expect((await decode('not-a-token')).body['error-code']).toBe('invalid');
    expect((await call(svc.url, 'POST', '/tokens/decode', { 'token-key': 3 })).status).toBe(400);
    expect((await call(svc.url, 'POST', '/tokens/decode', {}, { auth: null })).status).toBe(401);

    const validate = (body: Record<string, unknown>, auth?: null) =>
      call(svc.url, 'POST', '/tokens/validate', body, auth === null ? { auth } : {});
    const ask = { ...STUDY, method: 'get', 'token-key': 'token', 'token-value': plain.body.token };
    expect((await validate(ask)).body.granted).toBe(true);
    expect((await validate({ ...ask, level: 'galaxy' })).status).toBe(400);
    expect((await validate(ask, null)).status).toBe(401);
  });

  it('user profiles', async () => {
    const ask = { 'token-key': 'token', 'token-value': 'x' };
    expect((await call(svc.url, 'POST', '/user/get-profile', ask)).status).toBe(200);
    expect((await call(svc.url, 'POST', '/user/get-profile', { 'token-key': 3 })).status).toBe(400);
    expect((await call(svc.url, 'POST', '/user/get-profile', ask, { auth: null })).status).toBe(401);
  });

  it('the roles editor', async () => {
    const roles = await call(svc.url, 'GET', '/settings/roles');
    expect(roles.status).toBe(200);
    expect((await call(svc.url, 'PUT', '/settings/roles', roles.body)).status).toBe(200);
    expect((await call(svc.url, 'PUT', '/settings/roles', { roles: 'none' })).status).toBe(400);
    expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: null })).status).toBe(401);
  });

  it('share e-mails: templates, a send refused, an SMTP server that does not answer', async () => {
    const templates = await call(svc.url, 'GET', '/emails/templates');
    expect(templates.status).toBe(200);
    expect((await call(svc.url, 'GET', '/emails/templates/share-study-layout.html')).status).toBe(200);
    expect((await call(svc.url, 'GET', '/emails/templates/no-such.html')).status).toBe(404);
    expect((await call(svc.url, 'GET', '/emails/templates', undefined, { auth: null })).status).toBe(401);
    expect((await call(svc.url, 'POST', '/emails/send', { 'destination-email': 3 })).status).toBe(400);
    const sent = await call(svc.url, 'POST', '/emails/send', {
      'destination-email': 'someone@example.org',
      'email-title': 'Images',
      'email-content': '<p>the images</p>',
      'layout-template': 'share-study-layout.html',
    });
    // Not sent (nothing listens on port 9): 400 with success false and the reason, as the Python service answers.
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ success: false });
  });

  it('the share registry: list, show (with protection and trail), revoke, revoke by token, and their errors', async () => {
    const plain = await create({});
    const id = shareIdOf(plain.body.token)!;
    const protectedLink = await createProtected(svc.url, { password: 'a-long-password' });
    const protectedId = shareIdOf(protectedLink.token)!;
    await call(svc.url, 'GET', `/share?token=${protectedLink.token}`, undefined, { auth: null });

    expect((await call(svc.url, 'GET', '/shares?limit=5')).status).toBe(200);
    expect((await call(svc.url, 'GET', '/shares?limit=none')).status).toBe(400);
    expect((await call(svc.url, 'GET', '/shares', undefined, { auth: null })).status).toBe(401);
    const shown = await call(svc.url, 'GET', `/shares/${protectedId}`);
    expect(shown.body.protection).toMatchObject({ kind: 'password' });
    expect((await call(svc.url, 'GET', `/shares/${id}`)).body.protection).toBeNull();
    expect((await call(svc.url, 'GET', '/shares/no-such-share')).status).toBe(404);
    expect((await call(svc.url, 'DELETE', `/shares/${id}`)).status).toBe(200);
    expect((await call(svc.url, 'DELETE', '/shares/no-such-share')).status).toBe(404);
    const other = await create({});
    const revoked = await call(svc.url, 'POST', '/shares/revoke-token', { token: other.body.token });
    expect(revoked.status).toBe(200);
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: 3 })).status).toBe(400);
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: 'not-a-token' })).status).toBe(400);
  });

  it("the share page: the page, its style and script, its forms' addresses, an unlock, a code asked for and one given", async () => {
    const form = (fields: Record<string, string>) => ({
      auth: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams(fields).toString(),
    });
    const open = (token: string) => call(svc.url, 'GET', `/share?token=${token}`, undefined, { auth: null });
    const byPassword = await createProtected(svc.url, { password: 'a-long-password' });
    const page = await open(byPassword.token);
    expect(page.status).toBe(200);
    expect((await open('not-a-token')).status).toBe(404);
    expect((await call(svc.url, 'GET', '/share/style.css', undefined, { auth: null })).status).toBe(200);
    expect((await call(svc.url, 'GET', '/share/local-time.js', undefined, { auth: null })).status).toBe(200);
    // A form's address opened in the browser answers the page itself (POST/redirect/GET: reload never resubmits).
    for (const address of ['unlock', 'unlock-code', 'code']) {
      const again = await call(svc.url, 'GET', `/share/${address}?token=${byPassword.token}`, undefined, {
        auth: null,
      });
      expect(again.status).toBe(200);
    }
    const fields = { token: byPassword.token, form: formTokenOf(page.text) };
    const unlock = await call(svc.url, 'POST', '/share/unlock', undefined, form({ ...fields, password: 'wrong' }));
    expect(unlock.status).toBe(403);

    const byCode = await createProtected(svc.url, { 'email-code': 'someone@example.org' });
    const codePage = await open(byCode.token);
    const codeFields = { token: byCode.token, form: formTokenOf(codePage.text) };
    const code = await call(svc.url, 'POST', '/share/code', undefined, form(codeFields));
    expect(code.status).toBe(502); // nothing listens on the SMTP port
    const given = await call(svc.url, 'POST', '/share/unlock-code', undefined, form({ ...codeFields, code: '000000' }));
    expect(given.status).toBe(403);
  });

  it('every operation of the document was called above', () => {
    const missing = contract.operations().filter((op) => !contract.exercised().has(op));
    expect(missing).toEqual([]);
  });
});
