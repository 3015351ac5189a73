/**
 * Hand-written body checks for the hot routes (validate, get-profile), which skip class-validator: the same rules as
 * their DTOs, and errors worded like the ValidationPipe's, naming the field.
 */
export const NOT_AN_OBJECT = 'the request body must be a JSON object';

export function asJsonObject(body: unknown): Record<string, unknown> | null {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/**
 * An optional string field (null allowed) of at most `maxLength` characters, read under its name or, when absent,
 * under the other spellings given. A wrong value adds an error and reads as undefined.
 */
export function optionalString(
  body: Record<string, unknown>,
  field: string,
  maxLength: number,
  errors: string[],
  ...spellings: string[]
): string | null | undefined {
  let v = body[field];
  for (const alt of spellings) if (v === undefined) v = body[alt];
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v !== 'string') {
    errors.push(`${field} must be a string`);
    return undefined;
  }
  if (v.length > maxLength) errors.push(`${field} must be shorter than or equal to ${maxLength} characters`);
  return v;
}
