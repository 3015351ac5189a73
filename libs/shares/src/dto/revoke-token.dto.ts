import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** The body of `POST /shares/revoke-token`: any share token, of this service or of the Python one. */
export class RevokeTokenDto {
  @ApiProperty({ description: 'the share token (as in the link), with or without "Bearer "' })
  @IsString()
  @MinLength(1)
  @MaxLength(65536)
  token: string;
}
