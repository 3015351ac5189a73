import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The body of `POST /tokens/decode`: only the body is read (no header). */
export class DecodeTokenDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'ignored (the header name the token came in)',
    example: 'token',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'token-key'?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 65536,
    description: 'the share token',
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
  })
  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;
}
