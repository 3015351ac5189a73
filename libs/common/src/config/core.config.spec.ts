import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCoreConfig } from './core.config';
import { readSetting } from './settings';

/** A fresh folder, removed after the file's tests (they make about a hundred). */
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'core-config-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('readSetting', () => {
  it('prefers the Docker secret (trimmed), then NAME_FILE, then the environment', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'file'), 'from-file\n');
    const env = { SECRETS_DIR: join(dir, 'secrets'), SECRET_KEY: 'from-env', SECRET_KEY_FILE: join(dir, 'file') };
    expect(readSetting(env, 'SECRET_KEY')).toBe('from-file');
    writeFileSync(join(dir, 'secrets', 'SECRET_KEY'), '  from-secret \n');
    expect(readSetting(env, 'SECRET_KEY')).toBe('from-secret');
    expect(readSetting({ SECRETS_DIR: join(dir, 'none'), SECRET_KEY: 'from-env' }, 'SECRET_KEY')).toBe('from-env');
  });

  it('names NAME_FILE when it points nowhere', () => {
    expect(() => readSetting({ SECRETS_DIR: tmp(), USERS_FILE: '/nonexistent/users' }, 'USERS')).toThrow(/USERS_FILE/);
  });
});

describe('loadCoreConfig', () => {
  it('generates a SECRET_KEY and a caller password once, 0600, and reuses them on the next start', () => {
    const dataDir = join(tmp(), 'data');
    const first = loadCoreConfig({ DATA_DIR: dataDir, SECRETS_DIR: tmp() });
    expect(first.embedded).toMatchObject({ secretKey: true, users: true });
    expect(first.embedded.generatedPassword).toBe(first.users['share-user']);
    expect(first.signingKeys.current.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'users.json')).mode & 0o777).toBe(0o600);
    const second = loadCoreConfig({ DATA_DIR: dataDir, SECRETS_DIR: tmp() });
    expect(second.signingKeys.current).toBe(first.signingKeys.current);
    expect(second.users).toEqual(first.users);
    expect(second.embedded.generatedPassword).toBeUndefined();
    expect(readFileSync(join(dataDir, 'secret-key'), 'utf8').trim()).toBe(first.signingKeys.current);
  });

  it('refuses to start in production without SECRET_KEY or USERS, naming them', () => {
    const base = { NODE_ENV: 'production', DATA_DIR: tmp(), SECRETS_DIR: tmp() };
    expect(() => loadCoreConfig({ ...base, USERS: '{"a":"b"}' })).toThrow(/SECRET_KEY is required/);
    expect(() => loadCoreConfig({ ...base, SECRET_KEY: 'k' })).toThrow(/USERS is required/);
    expect(loadCoreConfig({ ...base, SECRET_KEY: 'k', USERS: '{"a":"b"}' }).users).toEqual({ a: 'b' });
  });

  it.each([['production'], ['development'], ['test'], [undefined]])(
    'warns with NODE_ENV=%p about placeholder and weak secrets without refusing them (links already sent must keep working)',
    (nodeEnv) => {
      const base = { ...(nodeEnv ? { NODE_ENV: nodeEnv } : {}), DATA_DIR: tmp(), SECRETS_DIR: tmp() };
      const weak = loadCoreConfig({
        ...base,
        SECRET_KEY: 'change-me',
        USERS: '{"share-user":"change-me","ok":"x7!long-unique","short":"Tr0ub4dor!","same-as-login":"same-as-login"}',
      });
      expect(weak.warnings).toEqual([
        expect.stringMatching(/^SECRET_KEY is a placeholder/),
        expect.stringMatching(/^USERS: the login\(s\) share-user still use a placeholder/),
        expect.stringMatching(/^USERS: the login\(s\) short, same-as-login have a weak password \(shorter than 12/),
      ]);
      expect(weak.warnings.join(' ')).not.toMatch(/change-me|Tr0ub4dor|x7!/);
      expect(loadCoreConfig({ ...base, SECRET_KEY: 'short', USERS: '{"a":"a-long-password"}' }).warnings).toEqual([
        expect.stringMatching(/shorter than 16/),
      ]);
      expect(
        loadCoreConfig({ ...base, SECRET_KEY: 'a-long-and-random-enough-key', USERS: '{"a":"a-long-password"}' })
          .warnings,
      ).toEqual([]);
    },
  );

  it('has nothing to say about the secrets it generates itself', () => {
    expect(loadCoreConfig({ DATA_DIR: join(tmp(), 'data'), SECRETS_DIR: tmp() }).warnings).toEqual([]);
  });

  it.each([
    [{ USERS: 'share-user:change-me' }, /USERS expects a JSON object/],
    [{ USERS: '[]' }, /USERS expects a JSON object/],
    [{ USERS: '{}' }, /USERS expects at least one login/],
    [{ USERS: '{"a": 1}' }, /USERS expects non-empty logins/],
    [{ PORT: 'eighty' }, /PORT expects an integer/],
    [{ PORT: '70000' }, /PORT expects an integer from 0 to 65535/],
    [{ URL_PREFIX: 'auth/' }, /URL_PREFIX expects a path/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL expects one of/],
  ])('names the variable of a wrong value %p', (env, message) => {
    expect(() =>
      loadCoreConfig({ SECRET_KEY: 'k', USERS: '{"a":"b"}', DATA_DIR: tmp(), SECRETS_DIR: tmp(), ...env }),
    ).toThrow(message);
  });
});
