import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * The body of `POST /user/get-profile`: a user token (`token-key` names the header it came in, e.g. `token`,
 * `authorization` or `api-key`; `token-value` is the header's value), nothing (anonymous), or a `user-id` to name.
 */
export class GetProfileDto {
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'token-key'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'server-id'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  'user-id'?: string | null;
}
