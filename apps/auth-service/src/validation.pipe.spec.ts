import { BadRequestException } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { SendEmailDto } from '@app/emails';
import { ListSharesQuery, RevokeTokenDto } from '@app/shares';
import { CreateTokenDto, DecodeTokenDto } from '@app/tokens';
import { StrictValidationPipe } from './validation.pipe';

const pipe = new StrictValidationPipe();

/** The 400's messages for this body, or 'valid'. */
async function messages(metatype: Type, value: unknown, type: 'body' | 'query' = 'body'): Promise<unknown> {
  try {
    await pipe.transform(value, { type, metatype });
    return 'valid';
  } catch (err) {
    if (!(err instanceof BadRequestException)) throw err;
    return (err.getResponse() as { message: unknown }).message;
  }
}

const STUDY = { 'dicom-uid': '1.2.3', level: 'study' };
const create = (over: Record<string, unknown> = {}) => ({
  id: 's',
  resources: [STUDY],
  type: 'stone-viewer-publication',
  ...over,
});
const email = { 'destination-email': 'a@b.org', 'email-title': 't', 'email-content': '<p>x</p>' };
const TYPE_MESSAGE = /^type (is required and )?must equal the token type of the path, as in PUT \/tokens\/\{type\}/;

describe('StrictValidationPipe: one message per wrong field, always a list', () => {
  it('accepts valid bodies', async () => {
    expect(await messages(CreateTokenDto, create())).toBe('valid');
    expect(await messages(SendEmailDto, email)).toBe('valid');
  });

  it('a missing destination-email is one message, not three', async () => {
    const { 'destination-email': _drop, ...rest } = email;
    expect(await messages(SendEmailDto, rest)).toEqual(['destination-email is required and must be a string']);
    expect(await messages(SendEmailDto, { ...email, 'destination-email': '' })).toEqual([
      'destination-email should not be empty',
    ]);
  });

  it('"resources": "1.2" is one message, not four', async () => {
    expect(await messages(CreateTokenDto, create({ resources: '1.2' }))).toEqual(['resources must be an array']);
  });

  it('a missing or unknown type says what the path expects', async () => {
    const { type: _drop, ...noType } = create();
    const missing = (await messages(CreateTokenDto, noType)) as string[];
    expect(missing).toEqual([expect.stringMatching(TYPE_MESSAGE)]);
    expect(missing[0]).toMatch(/^type is required and must/);
    expect(await messages(CreateTokenDto, create({ type: 'super-token' }))).toEqual([
      expect.stringMatching(TYPE_MESSAGE),
    ]);
    expect(await messages(CreateTokenDto, create({ type: 7 }))).toEqual([expect.stringMatching(TYPE_MESSAGE)]);
  });

  it.each([
    ['a string validity-duration', { 'validity-duration': '60' }, ['validity-duration must be an integer number']],
    ['a float validity-duration', { 'validity-duration': 1.5 }, ['validity-duration must be an integer number']],
    ['a negative validity-duration', { 'validity-duration': -1 }, ['validity-duration must not be less than 0']],
    ['a numeric expiration-date', { 'expiration-date': 12 }, ['expiration-date must be a string']],
    ['a numeric id', { id: 5 }, ['id must be a string']],
  ])('%s', async (_name, over, expected) => {
    expect(await messages(CreateTokenDto, create(over))).toEqual(expected);
  });

  it('names nested fields by their path, each once', async () => {
    const body = create({
      resources: [STUDY, { 'dicom-uid': 1 }, { level: 'hospital', url: 'u'.repeat(9000) }, 'x'],
    });
    expect(await messages(CreateTokenDto, body)).toEqual([
      'resources.1.dicom-uid must be a string',
      'resources.1.level is required and must be one of the following values: patient, study, series, instance, system',
      'resources.2.url must be shorter than or equal to 8192 characters',
      'resources.2.level must be one of the following values: patient, study, series, instance, system',
      'resources.3 must be an object',
    ]);
  });

  it('an array inside the resource list is not walked into as if it were the list (issue 24: a 503 before)', async () => {
    expect(await messages(CreateTokenDto, create({ resources: [[STUDY]] }))).toEqual(['resources.0 must be an object']);
    expect(await messages(CreateTokenDto, create({ resources: [STUDY, [[STUDY]], STUDY] }))).toEqual([
      'resources.1 must be an object',
    ]);
  });

  it('names every wrong field of a body once', async () => {
    const result = (await messages(
      CreateTokenDto,
      create({ id: [], type: undefined, 'validity-duration': 'x', resources: 5 }),
    )) as string[];
    expect(result).toHaveLength(4);
    expect(result.map((m) => m.split(' ')[0])).toEqual(['id', 'resources', 'type', 'validity-duration']);
  });

  it('query strings and other bodies too', async () => {
    expect(await messages(ListSharesQuery, { limit: 'abc', active: 'maybe' }, 'query')).toEqual([
      'active must be true or false',
      'limit must be an integer number',
    ]);
    expect(await messages(RevokeTokenDto, {})).toEqual(['token is required and must be a string']);
    expect(await messages(DecodeTokenDto, { 'token-value': 5 })).toEqual(['token-value must be a string']);
  });

  it.each([null, [], 'text', 3])('a body that is not an object: %p', async (body) => {
    expect(await messages(CreateTokenDto, body)).toEqual(['the request body must be a JSON object']);
  });
});
