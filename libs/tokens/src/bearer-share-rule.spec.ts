import { DomainError, ForbiddenError, InvalidInputError } from '@app/common';
import type { Caller } from '@app/common';
import { assertBearerMayShare, boundedBearerExpiry, seesAllLabels } from './bearer-share-rule';

const user = (permissions: string[], authorizedLabels?: string[]): Caller => ({
  kind: 'bearer',
  name: 'u',
  userId: 'u-1',
  permissions,
  authorizedLabels,
});

describe('the bearer share rule', () => {
  it('reads the labels as Orthanc\'s plugin does: "*" anywhere in the list is every label', () => {
    expect([['*'], ['ward', '*'], ['ward'], [], undefined].map((l) => seesAllLabels(l))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('lets through "share" or "all" with every label, and nothing else (403)', () => {
    expect(() => assertBearerMayShare(user(['share'], ['*']))).not.toThrow();
    expect(() => assertBearerMayShare(user(['all'], ['*']))).not.toThrow();
    for (const caller of [
      user(['view', 'download'], ['*']),
      user([], ['*']),
      user(['share'], ['ward']),
      user(['share'], []),
      user(['share']), // no labels known: refused, never assumed
    ]) {
      expect(() => assertBearerMayShare(caller)).toThrow(ForbiddenError);
    }
  });

  it('bounds the life: none asked is the bound, shorter is kept, longer is a 400 naming the setting', () => {
    const now = Date.UTC(2030, 0, 1);
    const max = 30 * 86400;
    expect(boundedBearerExpiry({ expiresAt: null, byDate: false }, max, now)).toEqual({
      expiresAt: new Date(now + max * 1000),
      defaulted: true,
    });
    const soon = new Date(now + 3600_000);
    expect(boundedBearerExpiry({ expiresAt: soon, byDate: false }, max, now)).toEqual({
      expiresAt: soon,
      defaulted: false,
    });
    const edge = new Date(now + max * 1000);
    expect(boundedBearerExpiry({ expiresAt: edge, byDate: true }, max, now).expiresAt).toBe(edge);
    const late = new Date(now + max * 1000 + 1);
    const refusal = (byDate: boolean) => {
      try {
        boundedBearerExpiry({ expiresAt: late, byDate }, max, now);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        return (err as DomainError).messages;
      }
      throw new Error('expected a 400');
    };
    expect(refusal(true)).toEqual([
      expect.stringMatching(/^expiration-date must be at most 2592000 seconds \(30 days\)/),
    ]);
    expect(refusal(false)).toEqual([
      expect.stringMatching(/^validity-duration must be at most .* \(BEARER_SHARE_MAX_VALIDITY\)$/),
    ]);
  });
});
