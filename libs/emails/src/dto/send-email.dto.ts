import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** The body of `POST /emails/send` (OE2's "share by e-mail"). */
export class SendEmailDto {
  /** One or several addresses separated by ";", "," or spaces. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(8192)
  'destination-email': string;

  @IsString()
  @MaxLength(998)
  'email-title': string;

  /** HTML. */
  @IsString()
  @MaxLength(512 * 1024)
  'email-content': string;

  /** A template whose literal `{email-content}` is replaced by email-content; null for none. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'layout-template'?: string | null;
}
