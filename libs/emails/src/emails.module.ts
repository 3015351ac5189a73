import { Module } from '@nestjs/common';
import { EmailTemplatesService } from './email-templates.service';
import { EmailsService } from './emails.service';
import { SmtpMailer } from './smtp-mailer.client';

@Module({
  providers: [EmailTemplatesService, SmtpMailer, EmailsService],
  exports: [EmailsService],
})
export class EmailsModule {}
