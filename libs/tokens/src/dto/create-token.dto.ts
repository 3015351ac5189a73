import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { AlsoSpelled } from './also-spelled.decorator';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { TOKEN_TYPES, TokenType } from '../token-types';
import { MAX_VALIDITY_SECONDS } from '../tokens.config';
import { ResourceDto } from './resource.dto';

/** The index of the first element of a list that is not a JSON object (an array, a string, null...). */
function firstNonObject(list: unknown): number {
  const items = Array.isArray(list) ? list : [];
  const at = items.findIndex((item) => item === null || typeof item !== 'object' || Array.isArray(item));
  return Math.max(at, 0);
}

/** The body of `PUT /tokens/{type}`; snake_case keys are accepted too. */
export class CreateTokenDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description: "an id of the caller's choice, echoed back",
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  id?: string | null;

  @ApiProperty({ type: () => [ResourceDto], maxItems: 10000 })
  @IsArray()
  @ArrayMaxSize(10000)
  // ValidateNested alone walks into an array inside the array (`[[{...}]]`) as if it were the resource list itself.
  @IsObject({ each: true, message: ({ value }) => `resources.${firstNonObject(value)} must be an object` })
  @ValidateNested({ each: true })
  @Type(() => ResourceDto)
  resources: ResourceDto[];

  @ApiProperty({ enum: TOKEN_TYPES, description: "the same as the path's {type}", example: 'stone-viewer-publication' })
  @IsIn(TOKEN_TYPES, {
    message: `type must equal the token type of the path, as in PUT /tokens/{type}: one of ${TOKEN_TYPES.join(', ')}`,
  })
  type: TokenType;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 64,
    description: 'ISO date-time after which the token is refused (expiration_date accepted too)',
    example: '2026-12-31T23:59:59Z',
  })
  @AlsoSpelled('expiration_date')
  @IsOptional()
  @IsString()
  @MaxLength(64)
  'expiration-date'?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    minimum: 0,
    description: 'seconds from now (validity_duration accepted too)',
    example: 86400,
  })
  @AlsoSpelled('validity_duration')
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_VALIDITY_SECONDS)
  'validity-duration'?: number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description:
      'publications only: protects the link with this password (at least SHARE_PASSWORD_MIN_LENGTH characters). The ' +
      'link then opens the share page, which asks for it; the password is kept only as a slow hash, never in the token',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string | null;

  @ApiPropertyOptional({
    oneOf: [
      { type: 'string', maxLength: 8192 },
      { type: 'array', items: { type: 'string', maxLength: 320 }, maxItems: 50 },
    ],
    nullable: true,
    description:
      'publications only: protects the link with a one-time code e-mailed to this address from the share page, each ' +
      'recipient their own: one or several addresses, as an array or a string separated by ",", ";" or spaces; needs ' +
      'ENABLE_EMAILS (email_code accepted too)',
    example: ['patient@example.org', 'gp@example.org'],
  })
  @AlsoSpelled('email_code')
  @IsOptional()
  @ValidateBy({
    name: 'addresses',
    validator: {
      validate: (v: unknown) =>
        (typeof v === 'string' && v.length <= 8192) ||
        (Array.isArray(v) && v.length <= 50 && v.every((e) => typeof e === 'string' && e.length <= 320)),
      defaultMessage: () =>
        'email-code must be a string of addresses (8192 characters at most) or an array of at most 50 addresses',
    },
  })
  'email-code'?: string | string[] | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    enum: ['en', 'fr'],
    description: "with email-code: the recipients' language, that of their code e-mails (else the site's default)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  language?: string | null;
}
