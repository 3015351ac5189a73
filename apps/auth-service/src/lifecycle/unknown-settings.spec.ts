import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownSettings, unknownSettingWarnings } from './unknown-settings';

const known = knownSettings();

describe('knownSettings: the names the configuration modules read, found in their code', () => {
  it('finds every setting of the README table, the one-word ones and those read as env.NAME', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const table = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]);
    expect(table.length).toBeGreaterThan(50);
    expect(table.filter((name) => !known.has(name))).toEqual([]);
    for (const name of ['PORT', 'HOST', 'USERS', 'WORKERS', 'NODE_ENV', 'SECRETS_DIR', 'KEYCLOAK_URI']) {
      expect(known).toContain(name);
    }
  });

  it('takes no error code, algorithm name or word of a comment for a setting', () => {
    for (const name of ['ENOENT', 'RS256', 'ES256', 'PWD', 'OLDPWD', 'NAME']) expect(known).not.toContain(name);
  });

  it('reads the compiled modules of dist/ as well as the sources (the same layout), and only config modules', () => {
    const root = mkdtempSync(join(tmpdir(), 'orthanc-auth-test-known-'));
    try {
      mkdirSync(join(root, 'libs', 'x', 'src'), { recursive: true });
      const compiled = `const a = (0, common_1.intSetting)(env, 'ONE_WORD_NOT', 1) + (0, common_1.intSetting)(env, "LIMIT", 2);\nconst b = (0, common_1.readSetting)(env, "SOME_SETTING") ?? env.OTHER_SETTING;`;
      writeFileSync(join(root, 'libs', 'x', 'src', 'x.config.js'), compiled);
      writeFileSync(join(root, 'libs', 'x', 'src', 'x.service.js'), `readSetting(env, 'NOT_A_CONFIG_MODULE')`);
      writeFileSync(join(root, 'libs', 'x', 'src', 'x.config.spec.js'), `readSetting(env, 'IN_A_SPEC')`);
      expect(knownSettings(root)).toEqual(new Set(['ONE_WORD_NOT', 'LIMIT', 'SOME_SETTING', 'OTHER_SETTING']));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('unknownSettingWarnings', () => {
  it.each([
    ['SECRET_KEYS', 'SECRET_KEY'], // one letter too many
    ['SECERT_KEY', 'SECRET_KEY'], // two letters swapped
    ['PUBLIC_ORTANC_ROOT', 'PUBLIC_ORTHANC_ROOT'],
    ['ORTHANC_ROOT', 'PUBLIC_ORTHANC_ROOT'], // a known name without its first word
    ['ENABLE_KEYCLOAK_API_KEY', 'ENABLE_KEYCLOAK_API_KEYS'],
    ['PORTS', 'PORT'],
    ['SECRET_KEYS_FILE', 'SECRET_KEY_FILE'],
  ])('%s: one line naming it and the setting it likely meant (%s)', (name, meant) => {
    expect(unknownSettingWarnings({ [name]: 'x' }, known)).toEqual([
      `${name} is not a setting of orthanc-auth and is ignored: did you mean ${meant}? Rename it.`,
    ]);
  });

  it('a known prefix far from every name: says the prefix is ours and names the closest setting (not a _FILE)', () => {
    expect(unknownSettingWarnings({ MEDDREAM_PACS_CONFIG_TYPE: 'x' }, known)[0]).toContain(
      'the closest setting is MEDDREAM_TIMEOUT)',
    );
    expect(unknownSettingWarnings({ PUBLIC_VIEWER: 'x' }, known)).toEqual([
      expect.stringMatching(
        /^PUBLIC_VIEWER is not a setting of orthanc-auth and is ignored \(its PUBLIC_ prefix is ours; the closest setting is PUBLIC_[A-Z_]+(?<!_FILE)\): rename it, or remove it\.$/,
      ),
    ]);
  });

  it('is silent on known names (and their _FILE), on the environment of a shell, a container or npm', () => {
    expect(
      unknownSettingWarnings(
        {
          SECRET_KEY: 'x',
          USERS_FILE: '/run/x',
          PUBLIC_ORTHANC_ROOT: 'x',
          USER: 'root', // one letter from USERS
          HOME: '/root', // two from HOST
          HOSTNAME: 'c0ffee',
          PATH: '/bin',
          NODE_VERSION: '20.19.0',
          YARN_VERSION: '1.22',
          INIT_CWD: '/app',
          NODE: '/usr/bin/node',
          npm_config_cache: '/root/.npm',
          TERM: 'xterm',
          SHLVL: '1',
          TMPDIR: '/tmp',
        },
        known,
      ),
    ).toEqual([]);
  });

  it('never shows a value', () => {
    expect(unknownSettingWarnings({ SECRET_KEYS: 'the-secret-value' }, known).join('')).not.toContain('the-secret');
  });
});
