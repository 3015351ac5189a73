import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AlsoSpelled } from './also-spelled.decorator';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { LEVELS, Level, METHODS, Method } from '../token-types';

/** The body of `POST /tokens/validate` as the authorization plugin sends it. Unknown keys are ignored. */
export class ValidateTokenDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description: "the resource's DICOM UID (dicom_uid accepted too)",
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
    description: "the resource's Orthanc id (orthanc_id accepted too)",
  })
  @AlsoSpelled('orthanc_id')
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'orthanc-id'?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'the name of the request header that carries the token',
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
    description: 'the token, when no header named by token-key carries it',
  })
  @IsOptional()
  @IsString()
  @MaxLength(65536)
  'token-value'?: string | null;

  /** `identifier` is the spelling of older plugins. */
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1024,
    description: "the Orthanc server's id (identifier accepted too)",
  })
  @AlsoSpelled('identifier')
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  'server-id'?: string | null;

  @ApiProperty({ enum: LEVELS, example: 'study' })
  @IsIn(LEVELS as unknown as string[])
  level: Level;

  @ApiProperty({ enum: METHODS, example: 'get' })
  @IsIn(METHODS as unknown as string[])
  method: Method;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 8192, description: 'the requested URI' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  uri?: string | null;
}
