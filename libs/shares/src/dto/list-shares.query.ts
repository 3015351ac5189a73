import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { TOKEN_TYPES } from '@app/tokens';
import { LIST_LIMIT_MAX } from '../store/share-store';

/** Strict: "10" is a number, "10abc" is not (it stays a string and fails @IsInt with the field's name). */
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** The query of `GET /shares`. */
export class ListSharesQuery {
  @ApiPropertyOptional({ description: 'shares of this study (DICOM StudyInstanceUID or any resource dicom-uid)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  study?: string;

  @ApiPropertyOptional({ name: 'orthanc-id', description: 'shares of this Orthanc resource id' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  'orthanc-id'?: string;

  @ApiPropertyOptional({ enum: TOKEN_TYPES })
  @IsOptional()
  @IsIn(TOKEN_TYPES as unknown as string[])
  type?: string;

  @ApiPropertyOptional({ description: 'creator login, user name or Keycloak user id' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  creator?: string;

  @ApiPropertyOptional({ description: 'true: neither revoked nor expired; false: revoked or expired' })
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: LIST_LIMIT_MAX, default: 50 })
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(LIST_LIMIT_MAX)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;
}
