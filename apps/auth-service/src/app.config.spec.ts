import { ConfigError } from '@app/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from './app.config';

describe('loadAppConfig (ConfigModule.forRoot with the registerAs namespaces)', () => {
  let dir: string;
  let envFile: string;
  const env = (more: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    SECRETS_DIR: join(dir, 'no-secrets'),
    USERS: '{"share-user":"a-long-password"}',
    SECRET_KEY: 'k'.repeat(32),
    ...more,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orthanc-auth-app-config-'));
    envFile = join(dir, '.env');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a .env file when present; a variable of the environment wins over it; nothing is expanded', async () => {
    writeFileSync(envFile, 'PORT=9100\nSHARE_PAGE_ORGANIZATION=Radiology $HOME\nHOST=10.0.0.1\n');
    const config = await loadAppConfig({ env: env({ HOST: '127.0.0.1' }), envFile });
    expect(config.core.port).toBe(9100);
    expect(config.core.host).toBe('127.0.0.1');
    expect(config.sharePage.organization).toBe('Radiology $HOME');
  });

  it('a *_FILE secret named in the .env file is read from its file', async () => {
    writeFileSync(join(dir, 'key'), 'a-secret-key-from-a-file-0123456789\n');
    writeFileSync(envFile, `SECRET_KEY_FILE=${join(dir, 'key')}\n`);
    const { SECRET_KEY: _none, ...withoutKey } = env();
    const config = await loadAppConfig({ env: withoutKey, envFile });
    expect(config.core.signingKeys.current).toBe('a-secret-key-from-a-file-0123456789');
  });

  it('a .env file cannot move SECRETS_DIR: the mounted secrets win over whatever folder it names', async () => {
    const evil = join(dir, 'evil');
    mkdirSync(evil);
    writeFileSync(join(evil, 'SECRET_KEY'), 'a-key-the-env-file-chose-0123456789\n');
    writeFileSync(envFile, `SECRETS_DIR=${evil}\n`);
    const { SECRET_KEY: _none, SECRETS_DIR: _dir, ...withoutKey } = env();
    const config = await loadAppConfig({ env: withoutKey, envFile });
    expect(config.core.signingKeys.current).not.toBe('a-key-the-env-file-chose-0123456789');
    // Set in the environment, SECRETS_DIR is honoured as before.
    const fromEnv = await loadAppConfig({ env: { ...withoutKey, SECRETS_DIR: evil }, envFile: false });
    expect(fromEnv.core.signingKeys.current).toBe('a-key-the-env-file-chose-0123456789');
  });

  it('no .env file: nothing but the environment (and a missing file is no error)', async () => {
    const config = await loadAppConfig({ env: env(), envFile });
    expect(config.core.port).toBe(8000);
  });

  it('a wrong value in the .env file stops the load with the ConfigError naming its variable', async () => {
    writeFileSync(envFile, 'PORT=eighty\n');
    const failure = loadAppConfig({ env: env(), envFile });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toMatchObject({ variable: 'PORT' });
  });

  it('the .env values join the environment the load was given (as Nest adds them to process.env), no other', async () => {
    writeFileSync(envFile, 'SHARE_PAGE_ORGANIZATION=Radiology\n');
    const given = env();
    await loadAppConfig({ env: given, envFile });
    expect(given).toEqual({ ...env(), SHARE_PAGE_ORGANIZATION: 'Radiology' });
    expect(process.env.SHARE_PAGE_ORGANIZATION).toBeUndefined();
  });

  it('loads started together do not mix: each reads its own environment, and process.env is left as it was', async () => {
    const saved = process.env;
    const [a, b] = await Promise.all([
      loadAppConfig({ env: env({ PORT: '9001' }) }),
      loadAppConfig({ env: env({ PORT: '9002' }) }),
    ]);
    expect([a.core.port, b.core.port]).toEqual([9001, 9002]);
    expect(process.env).toBe(saved);
  });

  it('names the variables its namespaces consulted, for start-up checks (not Nest own NEST_DEBUG)', async () => {
    const { consulted } = await loadAppConfig({ env: env() });
    expect(consulted).toEqual(expect.arrayContaining(['SECRET_KEY', 'PORT', 'DATABASE_URL', 'ENABLE_EMAILS']));
    expect(consulted).toContain('WRITE_GUARD_PORT');
    expect(consulted).not.toContain('NEST_DEBUG');
  });
});
