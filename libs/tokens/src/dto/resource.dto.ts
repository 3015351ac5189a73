import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AlsoSpelled } from './also-spelled.decorator';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LEVELS, Level } from '../token-types';

/** `{"dicom-uid", "orthanc-id", "url", "level"}`; `dicom_uid`/`orthanc_id` spellings are accepted too. */
export class ResourceDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description: 'DICOM UID (dicom_uid accepted too)',
    example: '1.2.840.113619.2.55.3.1',
  })
  @AlsoSpelled('dicom_uid')
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'dicom-uid'?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description: 'Orthanc id (orthanc_id accepted too)',
    example: 'a2b080ed-88af58ec-f4db4e7b-4b5c9436-736ed498',
  })
  @AlsoSpelled('orthanc_id')
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'orthanc-id'?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 8192 })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  url?: string | null;

  @ApiProperty({ enum: LEVELS, example: 'study' })
  @IsIn(LEVELS)
  level: Level;
}
