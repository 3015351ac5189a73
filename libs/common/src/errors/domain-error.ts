/**
 * What went wrong, in the libraries' own terms: a lib says what kind of failure it met and what the caller must hear;
 * the application's exception filter (all-exceptions.filter.ts) alone turns a kind into an HTTP status, once.
 */
export const DOMAIN_ERROR_KINDS = {
  /** The request asks for something that cannot be done as asked (a wrong field, a setting it needs is off). */
  'invalid-input': 400,
  /** The caller may not do this. */
  forbidden: 403,
  /** What the request names does not exist (or is not the caller's to see). */
  'not-found': 404,
  /** The thing exists but is in a state that refuses this (a share already revoked...). */
  conflict: 409,
  /** The service's own failure (a file it could not write); the cause is logged under an error id. */
  failed: 500,
  /** A peer the service called answered wrongly or not at all. */
  'upstream-failed': 502,
  /** Something the service needs is not available now (a registry not open, a database down); try again later. */
  unavailable: 503,
  /** A peer the service called did not answer in time. */
  'upstream-timeout': 504,
  /** No space left to keep what was asked. */
  'storage-full': 507,
} as const;

export type DomainErrorKind = keyof typeof DOMAIN_ERROR_KINDS;

export class DomainError extends Error {
  /** What the caller is told: one entry per wrong field for bad input. */
  readonly messages: readonly string[];

  constructor(
    readonly kind: DomainErrorKind,
    messages: string | readonly string[],
    options?: { cause?: unknown },
  ) {
    const list = typeof messages === 'string' ? [messages] : [...messages];
    super(list.join('; '), options);
    this.name = new.target.name;
    this.messages = list;
  }

  /** The HTTP status this kind of failure is answered with. */
  get status(): number {
    return DOMAIN_ERROR_KINDS[this.kind];
  }
}

/** 400: the request cannot be done as asked. */
export class InvalidInputError extends DomainError {
  constructor(messages: string | readonly string[]) {
    super('invalid-input', messages);
  }
}

/** 403: the caller may not do this. */
export class ForbiddenError extends DomainError {
  constructor(messages: string | readonly string[]) {
    super('forbidden', messages);
  }
}

/** 404: what the request names does not exist. */
export class NotFoundError extends DomainError {
  constructor(messages: string | readonly string[]) {
    super('not-found', messages);
  }
}

/** 409: the thing is in a state that refuses this. */
export class ConflictError extends DomainError {
  constructor(messages: string | readonly string[]) {
    super('conflict', messages);
  }
}

/** 503: something the service needs is not available now. */
export class UnavailableError extends DomainError {
  constructor(messages: string | readonly string[], options?: { cause?: unknown }) {
    super('unavailable', messages, options);
  }
}
