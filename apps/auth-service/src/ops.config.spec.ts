import { loadCoreConfig } from '@app/common';
import { loadOpsConfig, secretValues } from './ops.config';

describe('loadOpsConfig', () => {
  it('has safe defaults: docs on, metrics protected, no access log, JSON in production, 10 s to stop', () => {
    expect(loadOpsConfig({ NODE_ENV: 'production' })).toEqual({
      enableDocs: true,
      metricsPublic: false,
      accessLog: false,
      logFormat: 'json',
      shutdownTimeoutMs: 10_000,
    });
    expect(loadOpsConfig({}).logFormat).toBe('pretty');
  });

  it('names the variable of a wrong value', () => {
    expect(() => loadOpsConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(() => loadOpsConfig({ METRICS_PUBLIC: 'maybe' })).toThrow(/METRICS_PUBLIC/);
    expect(() => loadOpsConfig({ SHUTDOWN_TIMEOUT: '0' })).toThrow(/SHUTDOWN_TIMEOUT/);
  });
});

describe('secretValues', () => {
  it("collects every configured secret: keys, callers' passwords, SMTP and Keycloak secrets, the database password", () => {
    const env = {
      SECRETS_DIR: '/nonexistent',
      DATA_DIR: '/tmp',
      SECRET_KEY: 'key-1',
      PREVIOUS_SECRET_KEYS: '["old-key-1","old-key-2"]',
      USERS: '{"share-user":"pw-of-share-user"}',
      EMAILS_SMTP_SERVER_PWD: 'smtp-pw',
      KEYCLOAK_CLIENT_SECRET: 'kc-secret',
      DATABASE_URL: 'postgres://u:db%40pw@h:5432/d',
      SOME_API_KEY: 'an-api-key',
      PORT: '8000',
    };
    const values = secretValues(env, loadCoreConfig(env));
    expect(values).toEqual(
      expect.arrayContaining([
        'key-1',
        'old-key-1',
        'old-key-2',
        'pw-of-share-user',
        'smtp-pw',
        'kc-secret',
        'db@pw',
        'an-api-key',
      ]),
    );
    expect(values).not.toContain('8000');
  });

  it('does not take the working directory (PWD, OLDPWD) or names merely containing a keyword for secrets', () => {
    const env = {
      SECRETS_DIR: '/nonexistent',
      DATA_DIR: '/tmp',
      SECRET_KEY: 'key-1',
      USERS: '{"a":"pw-of-a"}',
      PWD: '/srv/orthanc-auth',
      OLDPWD: '/home/admin',
      TOKENIZER_MODE: 'fast',
      MY_SERVICE_TOKEN: 'tok-123',
    };
    const values = secretValues(env, loadCoreConfig(env));
    expect(values).not.toEqual(expect.arrayContaining(['/srv/orthanc-auth']));
    expect(values).not.toContain('/home/admin');
    expect(values).not.toContain('fast');
    expect(values).toContain('tok-123');
  });
});
