import { readValidateBody, VALIDATE_TOKEN_BODY } from '@app/tokens';
import type { ValidateTokenBody } from '@app/tokens';
import { GET_PROFILE_BODY } from '../profiles/get-profile.dto';
import { bodyErrorMessages, compileBodySchema } from './body-schema';

const validate = compileBodySchema(VALIDATE_TOKEN_BODY);
const getProfile = compileBodySchema(GET_PROFILE_BODY);

/** The route's view of a body: accepted (the body, unchanged) or the 400's messages. */
function check(v: typeof validate, body: unknown): { ok: true; body: unknown } | { ok: false; messages: string[] } {
  const copy = structuredClone(body);
  return v(copy) ? { ok: true, body: copy } : { ok: false, messages: bodyErrorMessages(v.errors) };
}

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

describe('the validate body schema', () => {
  it("accepts the plugin's body as it is: unknown keys kept (ignored), nothing coerced", () => {
    expect(check(validate, good)).toEqual({ ok: true, body: good });
    expect(check(validate, { level: 'system', method: 'post', uri: null }).ok).toBe(true);
  });

  it('reads the other spellings only where the kebab-case key is absent', () => {
    const body = { dicom_uid: '1.2', orthanc_id: 'o', identifier: 'srv', level: 'series', method: 'delete', extra: 1 };
    expect(check(validate, body).ok).toBe(true);
    expect(readValidateBody(body as ValidateTokenBody)).toEqual({
      'dicom-uid': '1.2',
      'orthanc-id': 'o',
      'token-key': undefined,
      'token-value': undefined,
      'server-id': 'srv',
      uri: undefined,
      level: 'series',
      method: 'delete',
    });
    // The kebab-case key wins, null included, and the other spelling is then not read, so not checked.
    const both = { ...good, 'dicom-uid': null, dicom_uid: 5, identifier: [] };
    expect(check(validate, both).ok).toBe(true);
    expect(readValidateBody(both as ValidateTokenBody)['dicom-uid']).toBeNull();
    expect(readValidateBody(both as ValidateTokenBody)['server-id']).toBeNull();
    // Alone, a wrong other spelling is named.
    const { 'dicom-uid': _d, ...noKebab } = good;
    expect(check(validate, { ...noKebab, dicom_uid: 5 })).toEqual({
      ok: false,
      messages: ['dicom_uid must be a string or null'],
    });
  });

  it.each([
    ['a numeric dicom-uid', { 'dicom-uid': 1 }, ['dicom-uid must be a string or null']],
    ['an object token-value', { 'token-value': {} }, ['token-value must be a string or null']],
    ['an array server-id', { 'server-id': [] }, ['server-id must be a string or null']],
    ['a string that looks like a number is not coerced', { 'server-id': 12 }, ['server-id must be a string or null']],
    [
      'an unknown level',
      { level: 'hospital' },
      ['level must be one of the following values: patient, study, series, instance, system'],
    ],
    [
      'a boolean level',
      { level: true },
      ['level must be one of the following values: patient, study, series, instance, system'],
    ],
    ['an upper-case method', { method: 'GET' }, ['method must be one of the following values: get, post, put, delete']],
    [
      'no method',
      { method: undefined },
      ['method is required and must be one of the following values: get, post, put, delete'],
    ],
    ['a huge uri', { uri: 'a'.repeat(8193) }, ['uri must be shorter than or equal to 8192 characters']],
    [
      'a token-value over 65536',
      { 'token-value': 'a'.repeat(65537) },
      ['token-value must be shorter than or equal to 65536 characters'],
    ],
  ])('refuses %s, naming the field once', (_name, over, messages) => {
    expect(check(validate, { ...good, ...over })).toEqual({ ok: false, messages });
  });

  it('counts lengths in characters (code points), as JSON Schema does', () => {
    expect(check(validate, { ...good, 'token-key': '🩻'.repeat(256) }).ok).toBe(true); // 512 UTF-16 code units
    expect(check(validate, { ...good, 'token-key': `${'🩻'.repeat(256)}a` }).ok).toBe(false);
  });

  it('names every wrong field, each once, in the order of the schema', () => {
    const r = check(validate, { ...good, 'dicom-uid': 5, level: 'x', method: 'patch', 'token-key': 'k'.repeat(300) });
    expect(r).toEqual({
      ok: false,
      messages: [
        'dicom-uid must be a string or null',
        'token-key must be shorter than or equal to 256 characters',
        'level must be one of the following values: patient, study, series, instance, system',
        'method must be one of the following values: get, post, put, delete',
      ],
    });
    expect(check(validate, {})).toEqual({
      ok: false,
      messages: [
        'level is required and must be one of the following values: patient, study, series, instance, system',
        'method is required and must be one of the following values: get, post, put, delete',
      ],
    });
  });

  it.each([null, [], 'text', 3, true])('refuses a body that is not an object: %p', (body) => {
    expect(check(validate, body)).toEqual({ ok: false, messages: ['the request body must be a JSON object'] });
  });
});

describe('the get-profile body schema', () => {
  it.each([
    ['empty', {}],
    ['a user token', { 'token-key': 'token', 'token-value': 'x', 'server-id': 's', labels: [] }],
    ['a user id', { 'user-id': 'u1' }],
    ['nulls', { 'token-key': null, 'token-value': null, 'user-id': null }],
  ])('accepts %s', (_name, body) => {
    expect(check(getProfile, body)).toEqual({ ok: true, body });
  });

  it.each([
    ['a numeric token-value', { 'token-value': 12 }, ['token-value must be a string or null']],
    ['an object user-id', { 'user-id': {} }, ['user-id must be a string or null']],
    [
      'a long token-key',
      { 'token-key': 'k'.repeat(257) },
      ['token-key must be shorter than or equal to 256 characters'],
    ],
    ['a long user-id', { 'user-id': 'u'.repeat(300) }, ['user-id must be shorter than or equal to 256 characters']],
  ])('refuses %s', (_name, body, messages) => {
    expect(check(getProfile, body)).toEqual({ ok: false, messages });
  });

  it.each([null, [], 'text'])('refuses a body that is not an object: %p', (body) => {
    expect(check(getProfile, body)).toEqual({ ok: false, messages: ['the request body must be a JSON object'] });
  });
});
