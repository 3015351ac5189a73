import { ConfigError } from '@app/common';
import { loadTokensConfig } from './tokens.config';

const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadTokensConfig: bounds on what token creation may cost', () => {
  it('defaults: 32 MiB and 10,000 verified tokens, 30 days for bearer links', () => {
    expect(loadTokensConfig({})).toMatchObject({
      verifiedTokenCacheSize: 10_000,
      verifiedTokenCacheBytes: 32 * 1024 * 1024,
      bearerShareMaxValidity: 30 * 24 * 3600,
    });
  });

  it('reads each setting, 0 disabling the cache', () => {
    expect(
      loadTokensConfig({
        VERIFIED_TOKEN_CACHE_MB: '0',
        BEARER_SHARE_MAX_VALIDITY: '3600',
      }),
    ).toMatchObject({
      verifiedTokenCacheBytes: 0,
      bearerShareMaxValidity: 3600,
    });
  });

  it.each([
    [{ VERIFIED_TOKEN_CACHE_MB: '1.5' }, /VERIFIED_TOKEN_CACHE_MB expects an integer/],
    [{ VERIFIED_TOKEN_CACHE_MB: '5000' }, /VERIFIED_TOKEN_CACHE_MB expects an integer from 0 to 4096/],
    [{ BEARER_SHARE_MAX_VALIDITY: '0' }, /BEARER_SHARE_MAX_VALIDITY expects an integer from 60/],
  ])('names the variable of a wrong value %p', (env, message) => {
    expect(configError(() => loadTokensConfig(env)).message).toMatch(message);
  });
});
