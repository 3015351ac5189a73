export * from './emails.config';
export * from './dto/send-email.dto';
export * from './email-templates.service';
export * from './smtp-mailer.client';
export * from './emails.service';
export * from './emails.module';
