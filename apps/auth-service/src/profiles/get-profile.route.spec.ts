import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { GetProfileDto } from './get-profile.dto';
import { parseGetProfileBody } from './get-profile.route';

/** The hand-written parser of the hot path must agree with the DTO's decorators on what is valid. */
const dtoAccepts = (body: Record<string, unknown>) =>
  validateSync(plainToInstance(GetProfileDto, body), { whitelist: true, forbidUnknownValues: true }).length === 0;

describe('parseGetProfileBody', () => {
  it('reads the three body variants, ignoring unknown keys', () => {
    expect(parseGetProfileBody({ 'token-key': 'token', 'token-value': 'abc', 'server-id': null, labels: [] })).toEqual({
      ok: true,
      value: { 'token-key': 'token', 'token-value': 'abc', 'server-id': null, 'user-id': undefined },
    });
    expect(parseGetProfileBody({})).toEqual({
      ok: true,
      value: { 'token-key': undefined, 'token-value': undefined, 'server-id': undefined, 'user-id': undefined },
    });
    expect(parseGetProfileBody({ 'user-id': 'u1' }).ok).toBe(true);
  });

  it.each([
    ['empty', {}],
    ['a user token', { 'token-key': 'token', 'token-value': 'x', 'server-id': 's' }],
    ['a numeric token-value', { 'token-value': 12 }],
    ['an object user-id', { 'user-id': {} }],
    ['a long token-key', { 'token-key': 'k'.repeat(257) }],
    ['a long user-id', { 'user-id': 'u'.repeat(300) }],
    ['nulls', { 'token-key': null, 'token-value': null, 'user-id': null }],
  ])('agrees with GetProfileDto on %s', (_name, body) => {
    expect(parseGetProfileBody(body).ok).toBe(dtoAccepts(body));
  });

  it.each([null, [], 'text'])('refuses a body that is not an object: %p', (body) => {
    expect(parseGetProfileBody(body)).toEqual({ ok: false, errors: ['the request body must be a JSON object'] });
  });
});
