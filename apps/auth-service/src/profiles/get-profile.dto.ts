import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * The body of `POST /user/get-profile`: a user token (`token-key` names the header it came in, e.g. `token`,
 * `authorization` or `api-key`; `token-value` is the header's value), nothing (anonymous), or a `user-id` to name.
 */
export class GetProfileDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'the header the user token came in: token, authorization or api-key',
    example: 'authorization',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'token-key'?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 65536,
    description: 'the header\'s value (a Keycloak access token, "Bearer ..." or an api-key)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'server-id'?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'a Keycloak user id to name (audit log)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  'user-id'?: string | null;
}
