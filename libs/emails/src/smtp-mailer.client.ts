import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { rootCertificates } from 'node:tls';
import { createTransport } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { emailsConfig, EmailsConfig } from './emails.config';

export interface OutgoingEmail {
  to: string[];
  subject: string;
  html: string;
  /** The plain-text alternative (a multipart/alternative message), when the sender wrote one. */
  text?: string;
}

/** Sending failed; the message is safe to show to the caller (it never holds the SMTP password). */
export class EmailDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailDeliveryError';
  }
}

/** Removes a secret, and its base64 forms (AUTH PLAIN/LOGIN), from a text that may end up in a log or an answer. */
export function redactSecret(text: string, secret: string | undefined, user?: string): string {
  if (!secret) return text;
  const forms = [secret, Buffer.from(secret).toString('base64')];
  if (user) forms.push(Buffer.from(`\u0000${user}\u0000${secret}`).toString('base64'));
  let out = text;
  for (const f of forms) out = out.split(f).join('***');
  return out;
}

/**
 * The only code that talks to the SMTP server (nodemailer): STARTTLS required unless disabled, login when a user
 * name is set, connection/greeting/socket timeouts. One connection per message (shares are rare).
 */
@Injectable()
export class SmtpMailer implements OnModuleDestroy {
  private readonly logger = new Logger(SmtpMailer.name);
  private readonly transport?: Mail;

  constructor(@Inject(emailsConfig.KEY) private readonly config: EmailsConfig) {
    const smtp = config.smtp;
    if (!config.enabled || !smtp) return;
    this.transport = createTransport({
      host: smtp.host,
      port: smtp.port,
      // Port 465 speaks TLS from the first byte; the others upgrade with STARTTLS.
      secure: smtp.usesTls && smtp.port === 465,
      requireTLS: smtp.usesTls,
      ignoreTLS: !smtp.usesTls,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
      connectionTimeout: smtp.timeoutMs,
      greetingTimeout: smtp.timeoutMs,
      socketTimeout: smtp.timeoutMs,
      dnsTimeout: smtp.timeoutMs,
      // A CA file adds to the public roots (a site's own CA, a test server's self-signed certificate).
      tls: smtp.ca ? { ca: [...rootCertificates, smtp.ca] } : undefined,
      logger: false,
      debug: false,
    });
  }

  async send(email: OutgoingEmail): Promise<void> {
    if (!this.transport) throw new EmailDeliveryError('E-mails are disabled on this service (ENABLE_EMAILS)');
    try {
      await this.transport.sendMail({
        from: this.config.sender,
        replyTo: this.config.replyTo,
        to: email.to,
        subject: email.subject,
        html: email.html,
        ...(email.text !== undefined ? { text: email.text } : {}),
      });
      this.logger.log(`e-mail sent to ${email.to.length} recipient(s)`);
    } catch (err) {
      const smtp = this.config.smtp!;
      const detail = redactSecret(err instanceof Error ? err.message : String(err), smtp.password, smtp.user);
      const code = (err as { code?: string }).code;
      this.logger.warn(`e-mail not sent through ${smtp.host}:${smtp.port}${code ? ` (${code})` : ''}: ${detail}`);
      throw new EmailDeliveryError(`The SMTP server ${smtp.host}:${smtp.port} did not take the e-mail: ${detail}`);
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
