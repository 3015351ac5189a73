import { ArgumentMetadata, BadRequestException, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';

/**
 * The constraints that say what kind of value a field takes, in the order their message is preferred: when a field
 * breaks several constraints, this one message says what is wrong, and the others (a length limit on a number, "each
 * value in nested property ...") do not apply.
 */
const KIND = [
  'isIn',
  'isEnum',
  'isBoolean',
  'isInt',
  'isNumber',
  'isString',
  'isArray',
  'isObject',
  'nestedValidation',
] as const;

/** "level must be ..." about `resources.0.level`: the message with the field's whole path, once. */
function withPath(message: string, property: string, path: string): string {
  if (message.startsWith(`${property} `)) return `${path}${message.slice(property.length)}`;
  // A message about an element (`resources.3 must be ...`) already names it from the property on.
  if (message.startsWith(`${property}.`)) return `${path.slice(0, path.length - property.length)}${message}`;
  return `${path}: ${message}`;
}

/**
 * One message per wrong field, naming it (nested fields by their path: `resources.0.level`): the kind of value it
 * takes when it has the wrong kind, else its first broken constraint; a missing field says so, and what it takes.
 */
function validationMessages(errors: readonly ValidationError[], parent = ''): string[] {
  const messages: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const names = Object.keys(constraints);
    // A list checked element by element (resources) has both: its elements' own errors, then the list's.
    if (names.length && error.children?.length) messages.push(...validationMessages(error.children, path));
    if (names.length) {
      const kind = KIND.find((k) => k in constraints);
      // class-validator's wording names the array, not the element ("each value in nested property ...").
      const chosen =
        kind === 'nestedValidation'
          ? `${path} must be an object`
          : withPath(constraints[kind ?? names[0]], error.property, path);
      messages.push(error.value === undefined ? chosen.replace(/^(\S+) must /, '$1 is required and must ') : chosen);
    } else if (error.children?.length) {
      messages.push(...validationMessages(error.children, path));
    }
  }
  return messages;
}

/**
 * The strict global pipe: unknown keys are dropped (the plugin adds `labels`, `server-id`, ...), types are never
 * coerced, and a body that is not a JSON object is a 400 rather than a crash deeper down. Its 400 names each wrong
 * field once (validationMessages); values are read to tell a missing field, never put in a message.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => new BadRequestException([...new Set(validationMessages(errors))]),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new BadRequestException(['the request body must be a JSON object']);
      }
    }
    return super.transform(value, metadata);
  }
}
