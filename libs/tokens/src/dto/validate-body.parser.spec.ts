import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { parseValidateBody } from './validate-body.parser';
import { ValidateTokenDto } from './validate-token.dto';

const good = {
  'dicom-uid': '1.2',
  'orthanc-id': 'o',
  level: 'study',
  method: 'get',
  'token-key': 'token',
  'token-value': 't',
  'server-id': null,
  labels: ['x'],
};

/** The hand-written parser of the hot path must agree with the DTO's decorators on what is valid. */
const dtoAccepts = (body: Record<string, unknown>) =>
  validateSync(plainToInstance(ValidateTokenDto, body), { whitelist: true, forbidUnknownValues: true }).length === 0;

describe('parseValidateBody', () => {
  it("reads the plugin's body, with the other spellings, ignoring unknown keys", () => {
    const r = parseValidateBody({
      dicom_uid: '1.2',
      orthanc_id: 'o',
      identifier: 'srv',
      level: 'series',
      method: 'delete',
      extra: 1,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        'dicom-uid': '1.2',
        'orthanc-id': 'o',
        'token-key': undefined,
        'token-value': undefined,
        'server-id': 'srv',
        uri: undefined,
        level: 'series',
        method: 'delete',
      },
    });
  });

  it.each([
    ['good', good],
    ['nulls', { ...good, 'dicom-uid': null, 'token-value': null }],
    ['a numeric dicom-uid', { ...good, 'dicom-uid': 1 }],
    ['an object token-value', { ...good, 'token-value': {} }],
    ['an array server-id', { ...good, 'server-id': [] }],
    ['an unknown level', { ...good, level: 'hospital' }],
    ['no method', { ...good, method: undefined }],
    ['an upper-case method', { ...good, method: 'GET' }],
    ['a huge uri', { ...good, uri: 'a'.repeat(9000) }],
    ['a boolean level', { ...good, level: true }],
  ])('agrees with ValidateTokenDto on %s', (_name, body) => {
    expect(parseValidateBody(body).ok).toBe(dtoAccepts(body));
  });

  it('names the fields in its errors', () => {
    const r = parseValidateBody({ ...good, 'dicom-uid': 5, level: 'x', method: 'patch' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join(' | ')).toMatch(
      /dicom-uid must be a string.*level must be one of.*method must be one of/,
    );
  });

  it.each([null, [], 'text', 3])('refuses a body that is not an object: %p', (body) => {
    expect(parseValidateBody(body)).toEqual({ ok: false, errors: ['the request body must be a JSON object'] });
  });
});
