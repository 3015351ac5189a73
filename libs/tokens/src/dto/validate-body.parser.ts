import { asJsonObject, NOT_AN_OBJECT, optionalString } from '@app/common';
import { LEVELS, METHODS } from '../token-types';
import type { ValidateTokenDto } from './validate-token.dto';

const LEVEL_SET: ReadonlySet<string> = new Set(LEVELS);
const METHOD_SET: ReadonlySet<string> = new Set(METHODS);

/**
 * The validate body, checked by hand: this route is the hot path (the plugin calls it for every access its cache
 * does not answer), so it skips class-transformer/class-validator and applies the same rules as ValidateTokenDto:
 * optional strings (null allowed) within a length, `level` and `method` from their enumerations, snake_case and
 * `identifier` spellings, unknown keys ignored. Errors read like the ValidationPipe's and name the field.
 */
export function parseValidateBody(
  body: unknown,
): { ok: true; value: ValidateTokenDto } | { ok: false; errors: string[] } {
  const b = asJsonObject(body);
  if (!b) return { ok: false, errors: [NOT_AN_OBJECT] };
  const errors: string[] = [];
  const value = {
    'dicom-uid': optionalString(b, 'dicom-uid', 1024, errors, 'dicom_uid'),
    'orthanc-id': optionalString(b, 'orthanc-id', 1024, errors, 'orthanc_id'),
    'token-key': optionalString(b, 'token-key', 256, errors),
    'token-value': optionalString(b, 'token-value', 65536, errors),
    'server-id': optionalString(b, 'server-id', 1024, errors, 'identifier'),
    uri: optionalString(b, 'uri', 8192, errors),
    level: b.level,
    method: b.method,
  } as ValidateTokenDto;
  if (typeof b.level !== 'string' || !LEVEL_SET.has(b.level)) {
    errors.push(`level must be one of the following values: ${LEVELS.join(', ')}`);
  }
  if (typeof b.method !== 'string' || !METHOD_SET.has(b.method)) {
    errors.push(`method must be one of the following values: ${METHODS.join(', ')}`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, value };
}
