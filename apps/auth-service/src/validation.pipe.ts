import { ArgumentMetadata, BadRequestException, Injectable, ValidationPipe } from '@nestjs/common';

/**
 * The strict global pipe: unknown keys are dropped (the plugin adds `labels`, `server-id`, ...), types are never
 * coerced, and a body that is not a JSON object is a 400 rather than a crash deeper down.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
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
