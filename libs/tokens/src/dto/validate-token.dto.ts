import { Expose, Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LEVELS, Level, METHODS, Method } from '../token-types';

/** The body of `POST /tokens/validate` as the authorization plugin sends it. Unknown keys are ignored. */
export class ValidateTokenDto {
  @Expose()
  @Transform(({ obj }) => (obj['dicom-uid'] !== undefined ? obj['dicom-uid'] : obj['dicom_uid']))
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'dicom-uid'?: string | null;

  @Expose()
  @Transform(({ obj }) => (obj['orthanc-id'] !== undefined ? obj['orthanc-id'] : obj['orthanc_id']))
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'orthanc-id'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  'token-key'?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;

  /** `identifier` is the spelling of older plugins. */
  @Expose()
  @Transform(({ obj }) => (obj['server-id'] !== undefined ? obj['server-id'] : obj['identifier']))
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'server-id'?: string | null;

  @IsIn(LEVELS as unknown as string[])
  level: Level;

  @IsIn(METHODS as unknown as string[])
  method: Method;

  @IsOptional()
  @IsString()
  @MaxLength(8192)
  uri?: string | null;
}
