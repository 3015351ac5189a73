import { TOKEN_TYPES } from '@app/tokens';
import { bearerPermissionForTokenType } from './token-bearer-permission';

describe('bearerPermissionForTokenType', () => {
  it('asks "share" or "all" of a Keycloak user for every token type, instant links and downloads included', () => {
    const mapping = Object.fromEntries(TOKEN_TYPES.map((type) => [type, bearerPermissionForTokenType({ type })]));
    expect(mapping).toEqual(Object.fromEntries(TOKEN_TYPES.map((type) => [type, ['share', 'all']])));
  });
  it('gives no permission for an unknown or missing type', () => {
    for (const type of ['nope', '', '__proto__', undefined])
      expect(bearerPermissionForTokenType({ type })).toBeUndefined();
  });
});
