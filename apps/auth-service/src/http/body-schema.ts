import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';

export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The validator of the plain routes' bodies. Unlike fastify's default ajv, it never changes the body: no type coercion
 * (`"60"` stays a string and is refused where an integer is expected), no defaults, nothing removed (unknown keys are
 * ignored, as the plugin adds some). Every error is collected so that each wrong field is named; lengths count
 * characters (code points), as JSON Schema and the Nest routes' class-validator do. Strict: a schema with an unknown
 * keyword fails at start-up.
 */
const ajv = new Ajv({
  allErrors: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  strict: true,
  // The other spellings' conditions (`if: {required: [key]}`) name a key their own subschema does not define.
  strictRequired: false,
  verbose: true,
});
// OpenAPI's annotation, allowed in the schemas the document shows.
ajv.addVocabulary(['example']);

export function compileBodySchema(schema: JsonSchema): ValidateFunction {
  return ajv.compile(schema);
}

const NOT_AN_OBJECT = 'the request body must be a JSON object';

const ARTICLE: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
};

/** `/resources/0/dicom-uid` -> `resources.0.dicom-uid` (the ValidationPipe's spelling of a nested field). */
function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return path.join('.');
}

function schemaOf(error: ErrorObject): Record<string, unknown> {
  return error.parentSchema ?? {};
}

function oneOf(values: readonly unknown[]): string {
  return `one of the following values: ${values.map(String).join(', ')}`;
}

/** How wrong a field is, to pick its one message: missing, then outside its values, then of the wrong type. */
const RANK: Record<string, number> = { required: 0, enum: 1, type: 2 };

function messageOf(field: string, error: ErrorObject): string {
  const p = error.params;
  switch (error.keyword) {
    case 'required': {
      // What the missing property expects, from its own schema (the Nest routes' wording: "X is required and must ...").
      const props = schemaOf(error).properties as Record<string, Record<string, unknown>> | undefined;
      const own = props?.[String(p.missingProperty)];
      if (Array.isArray(own?.enum)) return `${field} is required and must be ${oneOf(own.enum)}`;
      const type = own && ARTICLE[String(own.type)];
      return type ? `${field} is required and must be ${type}` : `${field} is required`;
    }
    case 'enum':
      return `${field} must be ${oneOf(p.allowedValues as unknown[])}`;
    case 'type': {
      const s = schemaOf(error);
      if (Array.isArray(s.enum)) return `${field} must be ${oneOf(s.enum)}`;
      const type = ARTICLE[String(p.type)] ?? String(p.type);
      return `${field} must be ${type}${s.nullable === true ? ' or null' : ''}`;
    }
    case 'maxLength':
      return `${field} must be shorter than or equal to ${p.limit} characters`;
    case 'minLength':
      return `${field} must be longer than or equal to ${p.limit} characters`;
    case 'maxItems':
      return `${field} must contain no more than ${p.limit} elements`;
    case 'maximum':
      return `${field} must not be greater than ${p.limit}`;
    case 'minimum':
      return `${field} must not be less than ${p.limit}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

/**
 * The 400 messages of a body the schema refused: one per wrong field, naming it, in the order of the errors; a body
 * that is not an object is that alone. ajv's `if` errors only repeat those of the branch that failed, so are skipped.
 */
export function bodyErrorMessages(errors: readonly ErrorObject[] | null | undefined): string[] {
  const chosen = new Map<string, ErrorObject>();
  for (const error of errors ?? []) {
    if (error.keyword === 'if') continue;
    const field = fieldOf(error);
    if (field === '') return [NOT_AN_OBJECT];
    const previous = chosen.get(field);
    if (!previous || (RANK[error.keyword] ?? 9) < (RANK[previous.keyword] ?? 9)) chosen.set(field, error);
  }
  const messages = [...chosen].map(([field, error]) => messageOf(field, error));
  return messages.length ? messages : ['the request body is invalid'];
}
