import { Inject, Injectable } from '@nestjs/common';
import { DomainError, NotFoundError } from '@app/common';
import { EMAIL_ADDRESS, emailsConfig, EmailsConfig } from './emails.config';
import { EmailTemplatesService } from './email-templates.service';
import { SendEmailDto } from './dto/send-email.dto';
import type { SendEmailAnswer } from './send-email.answer';
import { EmailDeliveryError, OutgoingEmail, SmtpMailer } from './smtp-mailer.client';

const EMAILS_DISABLED = 'E-mails are disabled on this service: set ENABLE_EMAILS=true and the EMAILS_* settings';
/** The most recipients one share e-mail may have. */
const MAX_RECIPIENTS = 50;
const CONTENT_PLACEHOLDER = '{email-content}';

/** The addresses of a destination-email field: separated by ";", "," or white space. */
export function parseRecipients(destination: string): string[] {
  return destination.split(/[;,\s]+/).filter(Boolean);
}

/** Every literal `{email-content}` of the layout replaced (no `$&`-style patterns: the content is taken as is). */
export function applyLayout(layout: string, content: string): string {
  return layout.split(CONTENT_PLACEHOLDER).join(content);
}

/** OE2's "share by e-mail": templates and sending. */
@Injectable()
export class EmailsService {
  constructor(
    @Inject(emailsConfig.KEY) private readonly config: EmailsConfig,
    private readonly templates: EmailTemplatesService,
    private readonly mailer: SmtpMailer,
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** EMAILS_BIND_SHARE_LINKS: share links in share e-mails are bound to their recipients. */
  get bindsShareLinks(): boolean {
    return this.config.enabled && this.config.bindShareLinks === true;
  }

  /** A 404 that says why, when ENABLE_EMAILS is off. */
  assertEnabled(): void {
    if (!this.config.enabled) throw new NotFoundError(EMAILS_DISABLED);
  }

  listTemplates(): Promise<string[]> {
    this.assertEnabled();
    return this.templates.list();
  }

  readTemplate(name: string): Promise<string> {
    this.assertEnabled();
    return this.templates.read(name);
  }

  /** Sends an e-mail of the service's own (the share page's codes); throws EmailDeliveryError when it is not sent. */
  async deliver(email: OutgoingEmail): Promise<void> {
    this.assertEnabled();
    await this.mailer.send(email);
  }

  /** Sends the e-mail; a refusal (bad address, unknown layout, SMTP failure) is `{success: false, details}`. */
  async send(dto: SendEmailDto): Promise<SendEmailAnswer> {
    this.assertEnabled();
    const recipients = parseRecipients(dto['destination-email']);
    if (recipients.length === 0) return refused('destination-email holds no e-mail address');
    if (recipients.length > MAX_RECIPIENTS)
      return refused(`destination-email holds more than ${MAX_RECIPIENTS} addresses`);
    const bad = recipients.find((r) => !EMAIL_ADDRESS.test(r));
    if (bad !== undefined) return refused(`destination-email: "${bad.slice(0, 320)}" is not a valid e-mail address`);

    let html = dto['email-content'];
    const layoutName = dto['layout-template'];
    if (layoutName) {
      try {
        html = applyLayout(await this.templates.read(layoutName, 'layout-template'), html);
      } catch (err) {
        if (err instanceof DomainError && err.status < 500) return refused(err.messages.join('; '));
        throw err;
      }
    }
    try {
      await this.mailer.send({ to: recipients, subject: dto['email-title'], html });
    } catch (err) {
      if (err instanceof EmailDeliveryError) return refused(err.message);
      throw err;
    }
    return { success: true, details: null };
  }
}

function refused(details: string): SendEmailAnswer {
  return { success: false, details };
}
