import { configError } from '../../../test/support/config-error';
import { loadTokensConfig } from './tokens.config';

const env = (e: Record<string, string> = {}) => ({ SECRETS_DIR: '/nonexistent-secrets', ...e });

describe('loadTokensConfig: SHARE_TOKEN_METHODS', () => {
  it('grants share tokens get and post by default (the plugin reports DICOMweb reads as post); empty is unset', () => {
    expect(loadTokensConfig(env()).shareTokenMethods).toEqual(['get', 'post']);
    expect(loadTokensConfig(env({ SHARE_TOKEN_METHODS: '' })).shareTokenMethods).toEqual(['get', 'post']);
  });

  it.each([
    ['get,post', ['get', 'post']],
    ['post, get', ['get', 'post']],
    ['GET', ['get']],
    ['get', ['get']],
    ['["get"]', ['get']],
  ])('reads %j as %j', (value, methods) => {
    expect(loadTokensConfig(env({ SHARE_TOKEN_METHODS: value })).shareTokenMethods).toEqual(methods);
  });

  it.each(['get,put', 'delete', 'get,post,delete', 'post', ' , ', 'get;post', 'patch'])(
    'refuses %j at start-up, naming the variable and the two accepted values',
    (value) => {
      const err = configError(() => loadTokensConfig(env({ SHARE_TOKEN_METHODS: value })));
      expect(err.variable).toBe('SHARE_TOKEN_METHODS');
      expect(err.message).toContain('"get,post"');
      expect(err.message).toContain('"get"');
    },
  );
});

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
