import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@app/common';
import { loadEmailsConfig } from './emails.config';

const dir = mkdtempSync(join(tmpdir(), 'emails-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = (e: Record<string, string>) => ({ SECRETS_DIR: join(dir, 'no-secrets'), ...e });
const enabled = {
  ENABLE_EMAILS: 'true',
  EMAILS_TEMPLATES_ROOT: dir,
  EMAILS_SMTP_SERVER_HOSTNAME: 'smtp.example.org',
  EMAILS_SENDER_ADDRESS: 'orthanc@example.org',
};

function variableOf(e: Record<string, string>): string | undefined {
  try {
    loadEmailsConfig(env(e));
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  return undefined;
}

describe('loadEmailsConfig', () => {
  it('is disabled by default, with the shipped templates', () => {
    expect(loadEmailsConfig(env({}))).toEqual({ enabled: false, templatesRoot: resolve('config/emails') });
  });

  it('defaults to port 587, STARTTLS, 10 s, no login', () => {
    expect(loadEmailsConfig(env(enabled))).toEqual({
      enabled: true,
      templatesRoot: dir,
      smtp: {
        host: 'smtp.example.org',
        port: 587,
        usesTls: true,
        timeoutMs: 10000,
        user: undefined,
        password: undefined,
        ca: undefined,
      },
      sender: 'orthanc@example.org',
      replyTo: undefined,
      bindShareLinks: false,
    });
  });

  it('reads every SMTP setting, the password from a file too', () => {
    const pwd = join(dir, 'pwd');
    writeFileSync(pwd, 's3cret\n');
    const c = loadEmailsConfig(
      env({
        ...enabled,
        EMAILS_SMTP_SERVER_PORT: '2525',
        EMAILS_SMTP_SERVER_USES_TLS: 'false',
        EMAILS_SMTP_SERVER_TIMEOUT: '3',
        EMAILS_SMTP_SERVER_USER_NAME: 'mailer',
        EMAILS_SMTP_SERVER_PWD_FILE: pwd,
        EMAILS_SENDER_ADDRESS: 'Orthanc <orthanc@example.org>',
        EMAILS_REPLY_TO: 'desk@example.org',
      }),
    );
    expect(c.smtp).toEqual({
      host: 'smtp.example.org',
      port: 2525,
      usesTls: false,
      timeoutMs: 3000,
      user: 'mailer',
      password: 's3cret',
      ca: undefined,
    });
    expect(c.sender).toBe('Orthanc <orthanc@example.org>');
    expect(c.replyTo).toBe('desk@example.org');
  });

  it.each([
    [{ ...enabled, EMAILS_SMTP_SERVER_HOSTNAME: '' }, 'EMAILS_SMTP_SERVER_HOSTNAME'],
    [{ ...enabled, EMAILS_SENDER_ADDRESS: '' }, 'EMAILS_SENDER_ADDRESS'],
    [{ ...enabled, EMAILS_SENDER_ADDRESS: 'not an address' }, 'EMAILS_SENDER_ADDRESS'],
    [{ ...enabled, EMAILS_REPLY_TO: 'x@y' }, 'EMAILS_REPLY_TO'],
    [{ ...enabled, EMAILS_SMTP_SERVER_PORT: '0' }, 'EMAILS_SMTP_SERVER_PORT'],
    [{ ...enabled, EMAILS_SMTP_SERVER_USES_TLS: 'maybe' }, 'EMAILS_SMTP_SERVER_USES_TLS'],
    [{ ...enabled, EMAILS_SMTP_SERVER_USER_NAME: 'mailer' }, 'EMAILS_SMTP_SERVER_PWD'],
    [{ ...enabled, EMAILS_TEMPLATES_ROOT: join(dir, 'missing') }, 'EMAILS_TEMPLATES_ROOT'],
    [{ ...enabled, EMAILS_SMTP_SERVER_CA_FILE: join(dir, 'missing.pem') }, 'EMAILS_SMTP_SERVER_CA_FILE'],
  ])('refuses %j, naming %s', (e, variable) => {
    expect(variableOf(e)).toBe(variable);
  });
});
