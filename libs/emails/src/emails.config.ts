import { registerAs } from '@nestjs/config';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { boolSetting, ConfigError, Env, intSetting, readSetting } from '@app/common';

interface SmtpConfig {
  host: string;
  port: number;
  /** STARTTLS is required (the default); false sends in clear text, as asked. */
  usesTls: boolean;
  /** Connection, greeting and socket timeout (ms). */
  timeoutMs: number;
  user?: string;
  password?: string;
  /** Extra trusted CA certificates (PEM), e.g. a site's own CA or a test server's self-signed certificate. */
  ca?: string;
}

export interface EmailsConfig {
  enabled: boolean;
  /** The folder of the *.html templates (absolute). */
  templatesRoot: string;
  /** Present when enabled. */
  smtp?: SmtpConfig;
  sender?: string;
  replyTo?: string;
  /**
   * EMAILS_BIND_SHARE_LINKS: every share link of this service found in a share e-mail is replaced by a link bound to
   * the recipients (opened with a code e-mailed to them), so that forwarding the e-mail does not forward access.
   */
  bindShareLinks?: boolean;
}

/** The templates shipped with the service, relative to the working directory (the image's /app). */
const DEFAULT_TEMPLATES_ROOT = 'config/emails';

/** A single mailbox: local@domain, without spaces or the characters that separate or quote addresses. */
export const EMAIL_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/;

/** `addr@domain` or `Display Name <addr@domain>`. */
function addressSetting(env: Env, name: string): string | undefined {
  const value = readSetting(env, name)?.trim();
  if (value === undefined) return undefined;
  const named = /^[^<>\r\n]*<([^<>]+)>$/.exec(value);
  if (!EMAIL_ADDRESS.test(named ? named[1] : value)) {
    throw new ConfigError(
      name,
      `expects an e-mail address such as orthanc@my-hospital.org or "Orthanc <orthanc@my-hospital.org>", got "${value}"`,
    );
  }
  return value;
}

export function loadEmailsConfig(env: Env): EmailsConfig {
  const enabled = boolSetting(env, 'ENABLE_EMAILS', false);
  const templatesRoot = resolve(readSetting(env, 'EMAILS_TEMPLATES_ROOT') ?? DEFAULT_TEMPLATES_ROOT);
  if (!enabled) return { enabled, templatesRoot };

  if (!existsSync(templatesRoot) || !statSync(templatesRoot).isDirectory()) {
    throw new ConfigError('EMAILS_TEMPLATES_ROOT', `expects a folder of *.html templates; ${templatesRoot} is not one`);
  }
  const host = readSetting(env, 'EMAILS_SMTP_SERVER_HOSTNAME');
  if (!host)
    throw new ConfigError(
      'EMAILS_SMTP_SERVER_HOSTNAME',
      'is required when ENABLE_EMAILS is true: the SMTP server that sends the e-mails',
    );
  const sender = addressSetting(env, 'EMAILS_SENDER_ADDRESS');
  if (!sender)
    throw new ConfigError(
      'EMAILS_SENDER_ADDRESS',
      'is required when ENABLE_EMAILS is true: the From address of the e-mails',
    );
  const user = readSetting(env, 'EMAILS_SMTP_SERVER_USER_NAME');
  const password = readSetting(env, 'EMAILS_SMTP_SERVER_PWD');
  if (user && !password) {
    throw new ConfigError(
      'EMAILS_SMTP_SERVER_PWD',
      'is required when EMAILS_SMTP_SERVER_USER_NAME is set (a Docker secret or EMAILS_SMTP_SERVER_PWD_FILE is welcome)',
    );
  }
  const caFile = readSetting(env, 'EMAILS_SMTP_SERVER_CA_FILE');
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch {
      throw new ConfigError(
        'EMAILS_SMTP_SERVER_CA_FILE',
        `expects a readable PEM file of CA certificates; cannot read ${caFile}`,
      );
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError('EMAILS_SMTP_SERVER_CA_FILE', `expects PEM certificates; ${caFile} holds none`);
    }
  }
  return {
    enabled,
    templatesRoot,
    smtp: {
      host,
      port: intSetting(env, 'EMAILS_SMTP_SERVER_PORT', 587, 1, 65535),
      usesTls: boolSetting(env, 'EMAILS_SMTP_SERVER_USES_TLS', true),
      timeoutMs: intSetting(env, 'EMAILS_SMTP_SERVER_TIMEOUT', 10, 1, 600) * 1000,
      user,
      password: user ? password : undefined,
      ca,
    },
    sender,
    replyTo: addressSetting(env, 'EMAILS_REPLY_TO'),
    bindShareLinks: boolSetting(env, 'EMAILS_BIND_SHARE_LINKS', false),
  };
}

/** ConfigModule's `emails` namespace (`@Inject(emailsConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const emailsConfig = registerAs('emails', (): EmailsConfig => loadEmailsConfig(process.env));
