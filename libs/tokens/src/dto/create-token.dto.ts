import { Expose, Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { TOKEN_TYPES, TokenType } from '../token-types';
import { MAX_VALIDITY_SECONDS } from '../tokens.config';
import { ResourceDto } from './resource.dto';

/** The body of `PUT /tokens/{type}`; snake_case keys are accepted too. */
export class CreateTokenDto {
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  id?: string | null;

  @IsArray()
  @ArrayMaxSize(10000)
  @ValidateNested({ each: true })
  @Type(() => ResourceDto)
  resources: ResourceDto[];

  @IsIn(TOKEN_TYPES as unknown as string[])
  type: TokenType;

  @Expose()
  @Transform(({ obj }) => (obj['expiration-date'] !== undefined ? obj['expiration-date'] : obj['expiration_date']))
  @IsOptional()
  @IsString()
  @MaxLength(64)
  'expiration-date'?: string | null;

  @Expose()
  @Transform(({ obj }) => (obj['validity-duration'] !== undefined ? obj['validity-duration'] : obj['validity_duration']))
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_VALIDITY_SECONDS)
  'validity-duration'?: number | null;
}
