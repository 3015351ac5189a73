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
  it('defaults: 32 MiB and 10,000 verified tokens, 30 days for bearer links, 3000 and 60 creations a minute', () => {
    expect(loadTokensConfig({})).toMatchObject({
      verifiedTokenCacheSize: 10_000,
      verifiedTokenCacheBytes: 32 * 1024 * 1024,
      bearerShareMaxValidity: 30 * 24 * 3600,
      creationLimitBasic: 3000,
      creationLimitBearer: 60,
    });
  });

  it('reads each setting, 0 disabling the cache and the limits', () => {
    expect(
      loadTokensConfig({
        VERIFIED_TOKEN_CACHE_MB: '0',
        BEARER_SHARE_MAX_VALIDITY: '3600',
        TOKEN_CREATION_LIMIT_BASIC: '0',
        TOKEN_CREATION_LIMIT_BEARER: '10',
      }),
    ).toMatchObject({
      verifiedTokenCacheBytes: 0,
      bearerShareMaxValidity: 3600,
      creationLimitBasic: 0,
      creationLimitBearer: 10,
    });
  });

  it.each([
    [{ VERIFIED_TOKEN_CACHE_MB: '1.5' }, /VERIFIED_TOKEN_CACHE_MB expects an integer/],
    [{ VERIFIED_TOKEN_CACHE_MB: '5000' }, /VERIFIED_TOKEN_CACHE_MB expects an integer from 0 to 4096/],
    [{ BEARER_SHARE_MAX_VALIDITY: '0' }, /BEARER_SHARE_MAX_VALIDITY expects an integer from 60/],
    [{ TOKEN_CREATION_LIMIT_BASIC: '60001' }, /TOKEN_CREATION_LIMIT_BASIC expects an integer from 0 to 60000/],
    [{ TOKEN_CREATION_LIMIT_BEARER: 'lots' }, /TOKEN_CREATION_LIMIT_BEARER expects an integer/],
  ])('names the variable of a wrong value %p', (env, message) => {
    expect(configError(() => loadTokensConfig(env)).message).toMatch(message);
  });
});
