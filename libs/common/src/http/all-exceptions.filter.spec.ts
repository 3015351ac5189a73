import { BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { DOMAIN_ERROR_KINDS, DomainError, DomainErrorKind, InvalidInputError } from '../errors/domain-error';
import { toErrorResponse } from './all-exceptions.filter';

const logger = () => {
  const l = new Logger('test');
  const error = jest.spyOn(l, 'error').mockImplementation(() => undefined);
  return { l, error };
};

describe('toErrorResponse: domain errors mapped to HTTP once', () => {
  it.each(Object.entries(DOMAIN_ERROR_KINDS))('%s is answered %i', (kind, status) => {
    const { l } = logger();
    const body = toErrorResponse(new DomainError(kind as DomainErrorKind, 'what went wrong'), l);
    expect(body.statusCode).toBe(status);
    expect(body.message).toEqual(['what went wrong']);
    if (status >= 500) expect(body.errorId).toMatch(/^[0-9a-f-]{36}$/);
    else expect(body.errorId).toBeUndefined();
  });

  it('answers exactly what the Nest exception of the same status answered (the wire does not change)', () => {
    const { l } = logger();
    const pairs: [DomainError, HttpException][] = [
      [new InvalidInputError(['a must be x', 'b must be y']), new BadRequestException(['a must be x', 'b must be y'])],
      [new InvalidInputError('one message'), new BadRequestException('one message')],
      [new DomainError('not-found', 'no share with the id "x"'), new NotFoundException('no share with the id "x"')],
      [
        new DomainError('storage-full', 'No space left'),
        new HttpException({ message: 'No space left' }, 507, { cause: new Error('ENOSPC') }),
      ],
    ];
    for (const [domain, nest] of pairs) {
      const { errorId: a, ...fromDomain } = toErrorResponse(domain, l);
      const { errorId: b, ...fromNest } = toErrorResponse(nest, l);
      expect(fromDomain).toEqual(fromNest);
      expect(a === undefined).toBe(b === undefined);
    }
  });

  it('a 5xx logs its message and its cause under the error id it answers with', () => {
    const { l, error } = logger();
    const cause = new Error('EROFS: read-only file system');
    const body = toErrorResponse(new DomainError('failed', 'Could not write the roles file', { cause }), l, 'req-1');
    expect(error).toHaveBeenCalledWith(
      { msg: `500 errorId=${body.errorId}: Could not write the roles file`, reqId: 'req-1' },
      cause.stack,
    );
  });
});
