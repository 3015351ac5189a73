import { ShareTokenCodec } from './codec/share-token-codec';
import { ShareRegistryHook, CreatedShare } from './share-registry';
import { tokenFrom, tokenHash, TokensService } from './tokens.service';
import { loadTokensConfig } from './tokens.config';
import { ValidateTokenDto } from './dto/validate-token.dto';

const codec = new ShareTokenCodec('unit-secret');
const body = (over: Record<string, unknown> = {}) =>
  ({ id: 'x', type: 'viewer-instant-link', resources: [{ 'dicom-uid': 'U1', level: 'study' }], ...over }) as any;
const probe = (token: string): ValidateTokenDto => ({
  'dicom-uid': 'U1',
  level: 'study',
  method: 'get',
  'token-value': token,
});

class MemoryRegistry implements ShareRegistryHook {
  created: CreatedShare[] = [];
  revokedIds = new Set<string>();
  revokedHashes = new Set<string>();
  async recordCreated(share: CreatedShare) {
    this.created.push(share);
  }
  isRevoked(shareId: string | null, raw: string) {
    return (shareId !== null && this.revokedIds.has(shareId)) || this.revokedHashes.has(tokenHash(raw));
  }
}

describe('TokensService', () => {
  afterEach(() => jest.useRealTimers());

  it('a cached verified token still expires on time (the cache never extends a life)', async () => {
    jest.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
    const svc = new TokensService(codec, loadTokensConfig({}));
    const { token } = await svc.create('viewer-instant-link', body({ 'validity-duration': 30 }));
    expect(svc.validate(probe(token))).toEqual({ granted: true, validity: 30 });
    jest.setSystemTime(Date.UTC(2030, 0, 1) + 29_000);
    expect(svc.validate(probe(token))).toEqual({ granted: true, validity: 1 });
    jest.setSystemTime(Date.UTC(2030, 0, 1) + 30_000);
    expect(svc.validate(probe(token))).toMatchObject({ granted: false, reason: 'expired' });
  });

  it('records each created share with an id carried in the token, and refuses it once revoked (cached or not)', async () => {
    const registry = new MemoryRegistry();
    const svc = new TokensService(codec, loadTokensConfig({}), undefined, registry);
    const { token } = await svc.create('viewer-instant-link', body(), { kind: 'basic', name: 'share-user' });
    expect(registry.created).toHaveLength(1);
    const share = registry.created[0];
    expect(share).toMatchObject({
      type: 'viewer-instant-link',
      tokenHash: tokenHash(token),
      creator: { name: 'share-user' },
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(payload.share_id).toBe(share.shareId);
    expect(Object.keys(payload)).toEqual([
      'id',
      'resources',
      'type',
      'expiration_date',
      'validity_duration',
      'share_id',
    ]);
    expect(svc.validate(probe(token)).granted).toBe(true);
    registry.revokedIds.add(share.shareId);
    expect(svc.validate(probe(token))).toMatchObject({ granted: false });
    expect((await svc.decode({ 'token-value': token }))['error-code']).toBe('invalid');
  });

  it('without a registry, tokens carry exactly the Python fields', async () => {
    const svc = new TokensService(codec, loadTokensConfig({}));
    const { token } = await svc.create('viewer-instant-link', body());
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(Object.keys(payload)).toEqual(['id', 'resources', 'type', 'expiration_date', 'validity_duration']);
  });
});

describe('tokenFrom', () => {
  const T = 'eyJhbGciOiJIUzI1NiJ9.e30.sig';
  const PLUGIN_BASIC = `Basic ${Buffer.from('share-user:change-me').toString('base64')}`;

  it('takes the header named by token-key over token-value, and strips a leading Bearer', () => {
    expect(tokenFrom('token', 'other', { token: T })).toBe(T);
    expect(tokenFrom('Token', null, { token: `Bearer ${T}` })).toBe(T);
    expect(tokenFrom('token', ` bearer  ${T}\n`, {})).toBe(T);
  });

  it('falls back to token-value when the header is missing or blank', () => {
    expect(tokenFrom('token', T, {})).toBe(T);
    expect(tokenFrom('token', T, { token: '' })).toBe(T);
    expect(tokenFrom('token', T, { token: '   ' })).toBe(T);
  });

  it("never reads the caller's own Authorization (Basic) header: token-key Authorization falls back to token-value", () => {
    // The recorded plugin call: its own Basic credential in the header, the user's Bearer token in token-value.
    expect(tokenFrom('Authorization', `Bearer ${T}`, { authorization: PLUGIN_BASIC })).toBe(T);
    expect(tokenFrom('authorization', `Bearer ${T}`, { authorization: `Bearer other` })).toBe(T);
    expect(tokenFrom('Authorization', '', { authorization: PLUGIN_BASIC })).toBeNull();
    expect(tokenFrom('Authorization', undefined, { authorization: PLUGIN_BASIC })).toBeNull();
  });

  it('never takes a Basic credential for a token, from a header or from token-value', () => {
    expect(tokenFrom('x-auth', T, { 'x-auth': PLUGIN_BASIC })).toBe(T);
    expect(tokenFrom('token', PLUGIN_BASIC, {})).toBeNull();
    expect(tokenFrom('token', ' basic abc', {})).toBeNull();
    expect(tokenFrom('token', 'Basic', {})).toBeNull();
    // A value that merely starts with the letters is not a Basic credential.
    expect(tokenFrom('token', 'Basically', {})).toBe('Basically');
  });

  it('is null without any token, and reads own headers only', () => {
    expect(tokenFrom(undefined, undefined, {})).toBeNull();
    expect(tokenFrom(null, null)).toBeNull();
    expect(tokenFrom('__proto__', null, {})).toBeNull();
    expect(tokenFrom('constructor', T, {})).toBe(T);
  });
});
