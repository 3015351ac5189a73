import { ConfigError } from '@app/common';
import { medDreamUrl } from './meddream-links.service';
import { loadMedDreamConfig } from './meddream.config';

const env = (e: Record<string, string>) => ({ SECRETS_DIR: '/nonexistent-secrets', ...e });

describe('loadMedDreamConfig', () => {
  it('is disabled without either URL', () => {
    expect(loadMedDreamConfig(env({}))).toEqual({
      enabled: false,
      tokenServiceUrl: undefined,
      publicRoot: undefined,
      timeoutMs: 5000,
    });
  });

  it('is enabled with both URLs, and reads MEDDREAM_TIMEOUT', () => {
    expect(
      loadMedDreamConfig(
        env({
          MEDDREAM_TOKEN_SERVICE_URL: 'http://meddream-token-service:8088/v3/generate',
          PUBLIC_MEDDREAM_ROOT: 'https://x.org/meddream/',
          MEDDREAM_TIMEOUT: '1500',
        }),
      ),
    ).toEqual({
      enabled: true,
      tokenServiceUrl: 'http://meddream-token-service:8088/v3/generate',
      publicRoot: 'https://x.org/meddream/',
      timeoutMs: 1500,
    });
  });

  it.each([
    [{ MEDDREAM_TOKEN_SERVICE_URL: 'http://t/v3/generate' }, 'PUBLIC_MEDDREAM_ROOT'],
    [{ PUBLIC_MEDDREAM_ROOT: 'https://x.org/' }, 'MEDDREAM_TOKEN_SERVICE_URL'],
    [{ MEDDREAM_TOKEN_SERVICE_URL: 'not a url', PUBLIC_MEDDREAM_ROOT: 'https://x.org/' }, 'MEDDREAM_TOKEN_SERVICE_URL'],
    [{ MEDDREAM_TIMEOUT: 'soon' }, 'MEDDREAM_TIMEOUT'],
  ])('refuses %j, naming %s', (e, variable) => {
    let caught: unknown;
    try {
      loadMedDreamConfig(env(e));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
  });

  it('PUBLIC_MEDDREAM_ROOT without its trailing "/" is the same root (it was refused): the same links', () => {
    const root = (publicRoot: string) =>
      loadMedDreamConfig(env({ MEDDREAM_TOKEN_SERVICE_URL: 'http://t/v3/generate', PUBLIC_MEDDREAM_ROOT: publicRoot }))
        .publicRoot!;
    expect(root('https://x.org/meddream')).toBe('https://x.org/meddream/');
    expect(medDreamUrl(root('https://x.org/meddream'), ['1.2'], 'M')).toBe(
      medDreamUrl(root('https://x.org/meddream/'), ['1.2'], 'M'),
    );
    expect(medDreamUrl(root('https://x.org/meddream'), ['1.2'], 'M')).toBe('https://x.org/meddream/?study=1.2&token=M');
  });
});
