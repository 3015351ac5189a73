import { ConfigError } from '@app/common';
import { loadTokensConfig } from './tokens.config';

const env = (e: Record<string, string> = {}) => ({ SECRETS_DIR: '/nonexistent-secrets', ...e });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

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
      const err = errorOf(() => loadTokensConfig(env({ SHARE_TOKEN_METHODS: value })));
      expect(err.variable).toBe('SHARE_TOKEN_METHODS');
      expect(err.message).toContain('"get,post"');
      expect(err.message).toContain('"get"');
    },
  );
});
