import { CoreConfig } from '@app/common';
import { ShareRegistryHook, CreatedShare } from './share-registry';
import { tokenHash, TokensService } from './tokens.service';
import { loadTokensConfig } from './tokens.config';
import { ValidateTokenDto } from './dto/validate-token.dto';

const core = { secretKey: 'unit-secret' } as CoreConfig;
const body = (over: Record<string, unknown> = {}) =>
  ({ id: 'x', type: 'viewer-instant-link', resources: [{ 'dicom-uid': 'U1', level: 'study' }], ...over }) as any;
const probe = (token: string): ValidateTokenDto =>
  ({ 'dicom-uid': 'U1', level: 'study', method: 'get', 'token-value': token }) as ValidateTokenDto;

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
    const svc = new TokensService(core, loadTokensConfig({}));
    const { token } = await svc.create('viewer-instant-link', body({ 'validity-duration': 30 }));
    expect(svc.validate(probe(token))).toEqual({ granted: true, validity: 30 });
    jest.setSystemTime(Date.UTC(2030, 0, 1) + 29_000);
    expect(svc.validate(probe(token))).toEqual({ granted: true, validity: 1 });
    jest.setSystemTime(Date.UTC(2030, 0, 1) + 30_000);
    expect(svc.validate(probe(token))).toMatchObject({ granted: false, reason: 'expired' });
  });

  it('records each created share with an id carried in the token, and refuses it once revoked (cached or not)', async () => {
    const registry = new MemoryRegistry();
    const svc = new TokensService(core, loadTokensConfig({}), undefined, registry);
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
    const svc = new TokensService(core, loadTokensConfig({}));
    const { token } = await svc.create('viewer-instant-link', body());
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(Object.keys(payload)).toEqual(['id', 'resources', 'type', 'expiration_date', 'validity_duration']);
  });
});
