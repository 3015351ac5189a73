import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The body of `POST /tokens/decode`: only the body is read (no header). */
export class DecodeTokenDto {
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'token-key'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;
}
