import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, RunningApp, startApp } from './support/app';
import { SmtpTestServer } from './support/smtp-test-server';
import { closedPort } from './support/net';
import { checkAnswersAgainstOpenApi } from './support/openapi-contract';

// Every answer of this suite is also checked against the published OpenAPI document.
checkAnswersAgainstOpenApi();

const SENDER = 'orthanc@hospital.example.org';
const REPLY_TO = 'radiology@hospital.example.org';

const sendBody = (over: Record<string, unknown> = {}) => ({
  'destination-email': 'patient@example.org',
  'email-title': 'Your study',
  'email-content': '<p>Your images: <a href="https://share.example.org/?token=T">open</a></p>',
  'layout-template': null,
  ...over,
});

describe('share e-mails (PROTOCOL.md section 9) through a real SMTP server (STARTTLS, login)', () => {
  const smtp = new SmtpTestServer();
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-emails-'));
  let env: Record<string, string>;
  let svc: RunningApp;

  beforeAll(async () => {
    const port = await smtp.start();
    env = {
      ...smtp.serviceEnv(port, join(work, 'smtp-ca.pem')),
      EMAILS_SENDER_ADDRESS: `Orthanc <${SENDER}>`,
      EMAILS_REPLY_TO: REPLY_TO,
    };
    svc = await startApp(env);
  });
  afterAll(async () => {
    await svc.close();
    await smtp.stop();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    smtp.received.length = 0;
  });

  it('lists the shipped templates by name', async () => {
    const res = await call(svc.url, 'GET', '/emails/templates');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(['share-study-content', 'share-study-layout']);
  });

  it.each(['share-study-content', 'share-study-content.html'])('serves the template %s as text/html', async (name) => {
    const res = await call(svc.url, 'GET', `/emails/templates/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toBe(readFileSync('config/emails/share-study-content.html', 'utf8'));
    expect(res.text).toContain('{ShareUrl}');
  });

  it('answers a JSON 404 for a template that does not exist', async () => {
    const res = await call(svc.url, 'GET', '/emails/templates/no-such-template');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404 });
  });

  it('sends to several recipients, with the layout around the content, over TLS after login', async () => {
    const content =
      '<p>Dear patient, <a href="https://share.example.org/?token=abc">your study</a> costs $& $1 nothing.</p>';
    const res = await call(
      svc.url,
      'POST',
      '/emails/send',
      sendBody({
        'destination-email': ' a@example.org; b@example.org,c@example.org \t d@example.org ',
        'email-title': 'Shared study: CT of 2024-01-02',
        'email-content': content,
        'layout-template': 'share-study-layout',
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, details: null });
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(smtp.user);
    expect(mail.mailFrom).toBe(SENDER);
    expect(mail.rcptTo).toEqual(['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org']);
    expect(mail.headers.subject).toBe('Shared study: CT of 2024-01-02');
    expect(mail.headers.from).toContain(SENDER);
    expect(mail.headers['reply-to']).toBe(REPLY_TO);
    expect(mail.headers['content-type']).toMatch(/^text\/html/);
    const layout = readFileSync('config/emails/share-study-layout.html', 'utf8');
    const expected = layout.split('{email-content}').join(content);
    expect(mail.body.trim()).toBe(expected.replace(/\r\n/g, '\n').trim());
    expect(mail.body).not.toContain('{email-content}');
  });

  it('sends the content as is without a layout', async () => {
    const res = await call(svc.url, 'POST', '/emails/send', sendBody({ 'email-content': '<p>only this</p>' }));
    expect(res.status).toBe(200);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].body.trim()).toBe('<p>only this</p>');
    expect(smtp.received[0].rcptTo).toEqual(['patient@example.org']);
  });

  it('keeps a title with line breaks from adding headers or recipients', async () => {
    const res = await call(
      svc.url,
      'POST',
      '/emails/send',
      sendBody({ 'email-title': 'Hello\r\nBcc: evil@example.org\r\nX-Evil: 1' }),
    );
    expect(res.status).toBe(200);
    const mail = smtp.received[0];
    expect(mail.rcptTo).toEqual(['patient@example.org']);
    expect(mail.headers.bcc).toBeUndefined();
    expect(mail.headers['x-evil']).toBeUndefined();
  });

  it.each([
    ['a bad address', { 'destination-email': 'a@example.org; not-an-address' }, 'not-an-address'],
    ['no address at all', { 'destination-email': ' ;, ' }, 'destination-email'],
    ['an unknown layout', { 'layout-template': 'no-such-layout' }, 'no-such-layout'],
    ['a layout outside the folder', { 'layout-template': '../../etc/passwd' }, 'layout-template'],
  ])('refuses %s with 400 {success: false, details}', async (_what, over, named) => {
    const res = await call(svc.url, 'POST', '/emails/send', sendBody(over));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, details: expect.stringContaining(named) });
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses a body without destination-email with a 400 naming the field, once', async () => {
    const { ['destination-email']: _dropped, ...body } = sendBody();
    const res = await call(svc.url, 'POST', '/emails/send', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(['destination-email is required and must be a string']);
  });

  it('requires the caller credentials', async () => {
    const res = await call(svc.url, 'POST', '/emails/send', sendBody(), { auth: null });
    expect(res.status).toBe(401);
    expect(smtp.received).toHaveLength(0);
  });

  it('answers 400 {success: false} without the password when the SMTP server refuses the login', async () => {
    const wrong = await startApp({ ...env, EMAILS_SMTP_SERVER_PWD: 'wrong-Secret-42' });
    try {
      const res = await call(wrong.url, 'POST', '/emails/send', sendBody());
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, details: expect.stringMatching(/login|auth/i) });
      expect(res.text).not.toContain('wrong-Secret-42');
      expect(res.text).not.toContain(Buffer.from('wrong-Secret-42').toString('base64'));
      expect(smtp.received).toHaveLength(0);
    } finally {
      await wrong.close();
    }
  });

  it('refuses to send when the SMTP server certificate is not trusted (TLS is verified)', async () => {
    const { EMAILS_SMTP_SERVER_CA_FILE: _ca, ...untrusted } = env;
    const app = await startApp(untrusted);
    try {
      const res = await call(app.url, 'POST', '/emails/send', sendBody());
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, details: expect.stringMatching(/certificate/i) });
      expect(smtp.received).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('answers 400 {success: false, details} when the SMTP server is unreachable', async () => {
    const app = await startApp({ ...env, EMAILS_SMTP_SERVER_PORT: String(await closedPort()) });
    try {
      const res = await call(app.url, 'POST', '/emails/send', sendBody());
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, details: expect.stringMatching(/ECONNREFUSED|connect/i) });
    } finally {
      await app.close();
    }
  });
});

describe('e-mail templates: only file names of the folder are served', () => {
  const work = mkdtempSync(join(tmpdir(), 'orthanc-auth-templates-'));
  const root = join(work, 'templates');
  let svc: RunningApp;

  beforeAll(async () => {
    mkdirSync(root);
    writeFileSync(join(root, 'layout.html'), '<div>{email-content}</div>');
    writeFileSync(join(root, 'notes.txt'), 'not a template');
    writeFileSync(join(work, 'secret.html'), 'TOP-SECRET-OUTSIDE');
    symlinkSync(join(work, 'secret.html'), join(root, 'escape.html'));
    mkdirSync(join(root, 'folder.html'));
    svc = await startApp({
      ENABLE_EMAILS: 'true',
      EMAILS_TEMPLATES_ROOT: root,
      EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
      EMAILS_SENDER_ADDRESS: 'orthanc@hospital.example.org',
    });
  });
  afterAll(async () => {
    await svc.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists only the *.html files', async () => {
    const res = await call(svc.url, 'GET', '/emails/templates');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.arrayContaining(['layout']));
    expect(res.body).not.toContain('notes');
    expect(res.body).not.toContain('folder');
  });

  it.each([
    '..%2Fsecret',
    '..%2Fsecret.html',
    '%2E%2E%2Fsecret.html',
    '..%5Csecret.html',
    '%2Fetc%2Fpasswd',
    '%2Fetc%2Fhostname',
    'layout%00.html',
    '..',
    '.%2E',
    'escape',
    'escape.html',
    'folder.html',
    'notes.txt',
  ])('refuses %s with a JSON 400/404 that leaks nothing', async (name) => {
    const res = await call(svc.url, 'GET', `/emails/templates/${name}`);
    expect([400, 404]).toContain(res.status);
    expect(res.body).toMatchObject({ statusCode: res.status });
    expect(res.text).not.toContain('TOP-SECRET-OUTSIDE');
    expect(res.text).not.toContain('root:');
  });
});

describe('e-mails disabled (the default)', () => {
  let svc: RunningApp;
  beforeAll(async () => {
    svc = await startApp({});
  });
  afterAll(() => svc.close());

  it.each([
    ['GET', '/emails/templates', undefined],
    ['GET', '/emails/templates/share-study-content', undefined],
    ['POST', '/emails/send', sendBody()],
  ])('%s %s answers a JSON 404 that names ENABLE_EMAILS', async (method, path, body) => {
    const res = await call(svc.url, method, path, body);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404, message: [expect.stringContaining('ENABLE_EMAILS')] });
  });
});

describe('e-mails start-up configuration', () => {
  it.each([
    [{ ENABLE_EMAILS: 'true', EMAILS_SENDER_ADDRESS: 'a@example.org' }, 'EMAILS_SMTP_SERVER_HOSTNAME'],
    [{ ENABLE_EMAILS: 'true', EMAILS_SMTP_SERVER_HOSTNAME: 'smtp' }, 'EMAILS_SENDER_ADDRESS'],
    [{ ENABLE_EMAILS: 'yes please' }, 'ENABLE_EMAILS'],
  ])('refuses to start with %j, naming %s', async (env, named) => {
    await expect(startApp(env)).rejects.toThrow(named);
  });
});
