import { TOKEN_TYPES } from '@app/tokens';
import { bearerPermissionForTokenType } from './token-bearer-permission';

describe('bearerPermissionForTokenType', () => {
  it('maps every token type to the permission a Keycloak user needs to create it', () => {
    const mapping = Object.fromEntries(TOKEN_TYPES.map((type) => [type, bearerPermissionForTokenType({ type })]));
    expect(mapping).toEqual({
      'stone-viewer-publication': 'share',
      'ohif-viewer-publication': 'share',
      'volview-viewer-publication': 'share',
      'osimis-viewer-publication': 'share',
      'meddream-viewer-publication': 'share',
      'meddream-instant-link': 'view',
      'viewer-instant-link': 'view',
      'download-instant-link': 'download',
    });
  });
  it('gives no permission for an unknown or missing type', () => {
    for (const type of ['nope', '', '__proto__', undefined])
      expect(bearerPermissionForTokenType({ type })).toBeUndefined();
  });
});
