// The public surface of @app/emails: what the app and the other libs import, by name (knip checks that each is used).
export { emailsConfig } from './emails.config';
export type { EmailsConfig } from './emails.config';
export { EMAIL_ADDRESS } from './emails.config';
export { EmailDeliveryError } from './smtp-mailer.client';
export { SendEmailDto } from './dto/send-email.dto';
export { EmailsService } from './emails.service';
export { parseRecipients } from './emails.service';
export { SEND_EMAIL_ANSWER_SCHEMA } from './send-email.answer';
export type { SendEmailAnswer } from './send-email.answer';
export { EmailsModule } from './emails.module';
