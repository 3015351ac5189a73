import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { TOKEN_TYPES } from '@app/tokens';
import { decodeCursor } from '../list-cursor';
import { COUNT_SCAN_BUDGET } from '../store/share-list';
import { LIST_LIMIT_MAX } from '../store/share-store';

/**
 * 10000 as "10,000", as toLocaleString('en-US') writes it without loading ICU's locale data at start-up (~5 MB of
 * resident memory for this one description; bench/RESULTS.md, issue 22).
 */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Strict: "10" is a number, "10abc" is not (it stays a string and fails @IsInt with the field's name). */
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

const IsListCursor = () =>
  ValidateBy({
    name: 'isListCursor',
    validator: {
      validate: (value) => decodeCursor(value) !== null,
      defaultMessage: () => 'cursor must be the next-cursor of an earlier answer, unchanged',
    },
  });

/** Paging by offset went with the registry's growth (page N cost N rows): a clear 400, never a silently ignored key. */
const OFFSET_GONE =
  'offset is not supported (beyond 0): page with cursor, passing the next-cursor of the previous answer';

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
  @IsIn(TOKEN_TYPES)
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

  @ApiPropertyOptional({
    description: 'where the page starts: the next-cursor of the previous answer (absent: the newest shares)',
  })
  @IsOptional()
  @IsListCursor()
  cursor?: string;

  @ApiPropertyOptional({
    description: `true: also count the matching shares (total; total-exact false when counting stopped after ${thousands(COUNT_SCAN_BUDGET)} candidates, total then being a lower bound)`,
  })
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'count must be true or false' })
  count?: boolean;

  @ApiPropertyOptional({ deprecated: true, description: OFFSET_GONE })
  @IsOptional()
  @IsIn(['0'], { message: OFFSET_GONE })
  offset?: string;
}
