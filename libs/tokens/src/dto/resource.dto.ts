import { Expose, Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LEVELS, Level } from '../token-types';

/** `{"dicom-uid", "orthanc-id", "url", "level"}`; `dicom_uid`/`orthanc_id` spellings are accepted too. */
export class ResourceDto {
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
  @MaxLength(8192)
  url?: string | null;

  @IsIn(LEVELS as unknown as string[])
  level: Level;
}
