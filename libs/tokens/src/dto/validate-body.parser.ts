import { LEVELS, METHODS } from '../token-types';
import type { ValidateTokenDto } from './validate-token.dto';

const LEVEL_SET: ReadonlySet<string> = new Set(LEVELS);
const METHOD_SET: ReadonlySet<string> = new Set(METHODS);
const LIMITS: Record<string, number> = {
  'dicom-uid': 1024, 'orthanc-id': 1024, 'token-key': 256, 'token-value': 65536, 'server-id': 1024, uri: 8192,
};

/**
 * The validate body, checked by hand: this route is the hot path (the plugin calls it for every access its cache
 * does not answer), so it skips class-transformer/class-validator and applies the same rules as ValidateTokenDto:
 * optional strings (null allowed) within a length, `level` and `method` from their enumerations, snake_case and
 * `identifier` spellings, unknown keys ignored. Errors read like the ValidationPipe's and name the field.
 */
export function parseValidateBody(body: unknown): { ok: true; value: ValidateTokenDto } | { ok: false; errors: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: ['the request body must be a JSON object'] };
  }
  const b = body as Record<string, unknown>;
  const errors: string[] = [];
  const str = (field: string, ...spellings: string[]): string | null | undefined => {
    let v = b[field];
    for (const alt of spellings) if (v === undefined) v = b[alt];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v !== 'string') {
      errors.push(`${field} must be a string`);
      return undefined;
    }
    if (v.length > LIMITS[field]) errors.push(`${field} must be shorter than or equal to ${LIMITS[field]} characters`);
    return v;
  };
  const value = {
    'dicom-uid': str('dicom-uid', 'dicom_uid'),
    'orthanc-id': str('orthanc-id', 'orthanc_id'),
    'token-key': str('token-key'),
    'token-value': str('token-value'),
    'server-id': str('server-id', 'identifier'),
    uri: str('uri'),
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
