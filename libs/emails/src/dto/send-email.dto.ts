import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** The body of `POST /emails/send` (OE2's "share by e-mail"). */
export class SendEmailDto {
  /** One or several addresses separated by ";", "," or spaces. */
  @ApiProperty({
    maxLength: 8192,
    description: 'one or several addresses separated by ";", "," or spaces',
    example: 'patient@example.org',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(8192)
  'destination-email': string;

  @ApiProperty({ maxLength: 998, example: 'Your images' })
  @IsString()
  @MaxLength(998)
  'email-title': string;

  /** HTML. */
  @ApiProperty({
    description: 'HTML',
    example: '<p>Your images: <a href="https://pacs.example.org/share?token=...">open</a></p>',
  })
  @IsString()
  @MaxLength(512 * 1024)
  'email-content': string;

  /** A template whose literal `{email-content}` is replaced by email-content; null for none. */
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'a template whose literal {email-content} is replaced by email-content',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'layout-template'?: string | null;
}
