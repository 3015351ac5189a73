import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShareTokenCodec } from './share-token-codec';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/python-service.json'), 'utf8'));
const codec = new ShareTokenCodec(vectors.secret);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const hs256 = (key: string, input: string) => createHmac('sha256', key).update(input).digest('base64url');
const forge = (header: unknown, payload: unknown, key = vectors.secret) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hs256(key, input)}`;
};
const payload = {
  id: 'x',
  resources: [{ dicom_uid: '1.2', orthanc_id: null, url: null, level: 'study' }],
  type: 'stone-viewer-publication',
  expiration_date: null,
  validity_duration: null,
};

describe('ShareTokenCodec', () => {
  it('re-signs every Python-issued token to the very same bytes (payload order, spelling, header)', () => {
    for (const c of vectors.cases) {
      const ref: string = c.create.reference.token;
      const result = codec.verify(ref);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(codec.sign(result.token)).toBe(ref);
    }
  });

  it('accepts kebab-case payload keys and a header with keys in the other order', () => {
    const token = forge(
      { typ: 'JWT', alg: 'HS256' },
      {
        id: null,
        resources: [{ 'dicom-uid': '1.2', level: 'study' }],
        type: 'viewer-instant-link',
        'expiration-date': '2099-01-01T00:00:00Z',
      },
    );
    const result = codec.verify(token);
    expect(result.ok && result.token.resources[0]).toEqual({
      dicomUid: '1.2',
      orthancId: null,
      url: null,
      level: 'study',
    });
    expect(result.ok && result.token.expiresAt?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
  });

  it('reads and writes the protected flag and the parent share id, after the other claims', () => {
    const token = codec.sign({
      id: null,
      shareId: 's1',
      resources: [],
      type: 'stone-viewer-publication',
      expirationDate: null,
      validityDuration: null,
      protected: true,
    });
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(Object.keys(claims).slice(-2)).toEqual(['share_id', 'protected']);
    expect(codec.verify(token)).toMatchObject({ ok: true, token: { protected: true, parentShareId: null } });
    const child = codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, { ...payload, parent_share_id: 'p1' }));
    expect(child).toMatchObject({ ok: true, token: { protected: false, parentShareId: 'p1' } });
    // A Python-issued token is neither.
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, payload))).toMatchObject({
      ok: true,
      token: { protected: false, parentShareId: null },
    });
  });

  it.each([
    ['protected', 'yes'],
    ['protected', 1],
    ['parent_share_id', 42],
  ])('refuses a token whose %s claim is %j (invalid, not unprotected)', (claim, value) => {
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, { ...payload, [claim]: value })).ok).toBe(false);
  });

  it('accepts older tokens without validity_duration', () => {
    const { validity_duration: _omit, ...older } = payload;
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, older)).ok).toBe(true);
  });

  it('accepts tokens signed with a previous key when it is configured, and only then', () => {
    const old = forge({ alg: 'HS256', typ: 'JWT' }, payload, 'the-old-key');
    expect(codec.verify(old).ok).toBe(false);
    expect(new ShareTokenCodec(vectors.secret, ['the-old-key']).verify(old).ok).toBe(true);
  });

  describe('refuses', () => {
    const good = forge({ alg: 'HS256', typ: 'JWT' }, payload);
    const [h, p, s] = good.split('.');
    it.each([
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
      ['alg none with the good signature', `${b64({ alg: 'none' })}.${p}.${s}`],
      ['RS256 header signed as HS256', forge({ alg: 'RS256', typ: 'JWT' }, payload)],
      ['HS512', forge({ alg: 'HS512', typ: 'JWT' }, payload)],
      ['a crit header', forge({ alg: 'HS256', crit: ['exp'] }, payload)],
      ['a wrong typ', forge({ alg: 'HS256', typ: 'at+jwt' }, payload)],
      ['a wrong key', forge({ alg: 'HS256', typ: 'JWT' }, payload, 'another-key')],
      ['a tampered payload', `${h}.${b64({ ...payload, type: 'download-instant-link' })}.${s}`],
      ['a cut signature', good.slice(0, -1)],
      ['a padded signature', `${good}=`],
      ['a padded payload', `${h}.${p}=.${s}`],
      ['four segments', `${good}.x`],
      ['two segments', `${h}.${p}`],
      ['garbage', 'not-a-token'],
      ['empty', ''],
      ['a huge token', `${h}.${'A'.repeat(70_000)}.${s}`],
      ['a payload that is not JSON', `${h}.${b64('{nope')}.${hs256(vectors.secret, `${h}.${b64('{nope')}`)}`],
      ['a payload that is an array', forge({ alg: 'HS256' }, [payload])],
      ['resources that are not a list', forge({ alg: 'HS256' }, { ...payload, resources: 'all' })],
      ['a resource without level', forge({ alg: 'HS256' }, { ...payload, resources: [{ dicom_uid: '1' }] })],
      ['a numeric dicom uid', forge({ alg: 'HS256' }, { ...payload, resources: [{ dicom_uid: 1, level: 'study' }] })],
      ['an unreadable expiration date', forge({ alg: 'HS256' }, { ...payload, expiration_date: 'soon' })],
      ['a float validity', forge({ alg: 'HS256' }, { ...payload, validity_duration: 1.5 })],
    ])('%s', (_name, token) => {
      expect(codec.verify(token)).toEqual({ ok: false, error: 'invalid' });
    });
  });
});
