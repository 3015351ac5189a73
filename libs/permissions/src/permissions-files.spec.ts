import { Logger } from '@nestjs/common';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_ANONYMOUS_PROFILE, validateAnonymousProfile } from './anonymous-profile';
import { loadAnonymousProfile, loadRolesFile } from './permissions-files';
import { loadPermissionsConfig, SHIPPED_PERMISSIONS_FILE } from './permissions.config';
import { configError } from '../../../test/support/config-error';

const REPO = resolve(__dirname, '../../..');

describe('loadPermissionsConfig', () => {
  it('defaults to an editable copy in DATA_DIR seeded from the shipped file', () => {
    expect(loadPermissionsConfig({ DATA_DIR: '/var/lib/orthanc-auth', SECRETS_DIR: '/nonexistent' }, '/app')).toEqual({
      permissionsFilePath: '/var/lib/orthanc-auth/permissions.json',
      seedFilePath: '/app/config/permissions.json',
      anonymousProfileFilePath: undefined,
    });
    expect(loadPermissionsConfig({ SECRETS_DIR: '/nonexistent' }, '/app').permissionsFilePath).toBe(
      '/app/data/permissions.json',
    );
  });

  it('uses PERMISSIONS_FILE_PATH in place (no seed) and resolves relative paths from the working folder', () => {
    expect(
      loadPermissionsConfig(
        {
          PERMISSIONS_FILE_PATH: 'conf/p.json',
          ANONYMOUS_PROFILE_FILE_PATH: 'conf/a.json',
          SECRETS_DIR: '/nonexistent',
        },
        '/srv',
      ),
    ).toEqual({ permissionsFilePath: '/srv/conf/p.json', anonymousProfileFilePath: '/srv/conf/a.json' });
  });
});

describe('loadRolesFile', () => {
  let dir: string;
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'permissions-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const seed = join(REPO, SHIPPED_PERMISSIONS_FILE);

  it('seeds DATA_DIR/permissions.json from the shipped file on first start (comments kept) and reads it', () => {
    const target = join(dir, 'data', 'permissions.json');
    const config = loadRolesFile({ permissionsFilePath: target, seedFilePath: seed });
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(seed, 'utf8'));
    expect(Object.keys(config.roles)).toEqual(['admin-role', 'doctor-role', 'external-role']);
  });

  it('never overwrites an existing copy with the seed', () => {
    const target = join(dir, 'permissions.json');
    writeFileSync(target, '{"roles": {"mine": {"permissions": ["view"]}}}');
    expect(Object.keys(loadRolesFile({ permissionsFilePath: target, seedFilePath: seed }).roles)).toEqual(['mine']);
    expect(readFileSync(target, 'utf8')).toContain('mine');
  });

  it('still starts, on the shipped content, when DATA_DIR cannot hold the copy', () => {
    writeFileSync(join(dir, 'not-a-folder'), '');
    const target = join(dir, 'not-a-folder', 'permissions.json');
    const config = loadRolesFile({ permissionsFilePath: target, seedFilePath: seed });
    expect(Object.keys(config.roles)).toEqual(['admin-role', 'doctor-role', 'external-role']);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses to start when an explicit PERMISSIONS_FILE_PATH does not exist, naming it', () => {
    const err = configError(() => loadRolesFile({ permissionsFilePath: join(dir, 'nope.json') }));
    expect(err.variable).toBe('PERMISSIONS_FILE_PATH');
    expect(err.message).toContain(join(dir, 'nope.json'));
  });

  it('refuses to start on an unknown permission in the file, naming the permission and the file', () => {
    const target = join(dir, 'p.json');
    writeFileSync(target, '// c\n{"roles": {"x": {"permissions": ["view", "superpower"]}}}');
    const err = configError(() => loadRolesFile({ permissionsFilePath: target }));
    expect(err.message).toContain(target);
    expect(err.message).toContain('"superpower"');
  });

  it('refuses to start on a malformed seed, naming the seed file', () => {
    const badSeed = join(dir, 'seed.json');
    writeFileSync(badSeed, '{"roles": ');
    const err = configError(() =>
      loadRolesFile({ permissionsFilePath: join(dir, 'copy.json'), seedFilePath: badSeed }),
    );
    expect(err.message).toContain(badSeed);
    expect(err.message).toMatch(/line 1, column \d+/);
    expect(existsSync(join(dir, 'copy.json'))).toBe(false);
  });
});

describe('anonymous profile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anonymous-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fileWith(text: string): string {
    const path = join(dir, 'anonymous.json');
    writeFileSync(path, text);
    return path;
  }

  it('is built in when ANONYMOUS_PROFILE_FILE_PATH is not set: Anonymous, nothing granted, validity 60', () => {
    expect(loadAnonymousProfile({})).toEqual({
      name: 'Anonymous',
      permissions: [],
      authorizedLabels: [],
      validity: 60,
      userId: null,
      groups: null,
    });
    expect(DEFAULT_ANONYMOUS_PROFILE.validity).toBe(60);
  });

  it('the shipped config/anonymous-profile.json equals the built-in profile', () => {
    expect(loadAnonymousProfile({ anonymousProfileFilePath: join(REPO, 'config/anonymous-profile.json') })).toEqual(
      loadAnonymousProfile({}),
    );
  });

  it('reads a file with comments and either label spelling', () => {
    const path = fileWith(
      '// guests\n{"name": "Guest", "permissions": ["view"], "authorized_labels": ["public"], "validity": 30}',
    );
    expect(loadAnonymousProfile({ anonymousProfileFilePath: path })).toEqual({
      name: 'Guest',
      permissions: ['view'],
      authorizedLabels: ['public'],
      validity: 30,
      userId: null,
      groups: null,
    });
  });

  it('keeps user-id and groups as the file writes them: [] stays [] (the Python service profile file)', () => {
    const python = fileWith(
      '{"name": "Anonymous", "user-id": null, "authorized-labels": [], "permissions": ["upload"], "groups": [], "validity": 60}',
    );
    expect(loadAnonymousProfile({ anonymousProfileFilePath: python })).toEqual({
      name: 'Anonymous',
      permissions: ['upload'],
      authorizedLabels: [],
      validity: 60,
      userId: null,
      groups: [],
    });
    const guest = fileWith('{"name": "Guest", "user_id": "guest-1", "groups": ["/public"], "validity": 60}');
    expect(loadAnonymousProfile({ anonymousProfileFilePath: guest })).toMatchObject({
      userId: 'guest-1',
      groups: ['/public'],
    });
  });

  it('refuses a user-id or groups of the wrong type, naming the field', () => {
    const base = { name: 'A', validity: 60 };
    expect(() => validateAnonymousProfile({ ...base, 'user-id': 5 })).toThrow(/"user-id" must be a string or null/);
    expect(() => validateAnonymousProfile({ ...base, 'user-id': 'a', user_id: 'b' })).toThrow(/only one of/);
    expect(() => validateAnonymousProfile({ ...base, groups: '/g' })).toThrow(/"groups" must be an array/);
    expect(() => validateAnonymousProfile({ ...base, groups: ['/g', 3] })).toThrow(/"groups"\[1\]/);
  });

  it('refuses to start on an unknown permission, naming it and the file', () => {
    const path = fileWith('{"name": "Guest", "permissions": ["peek"], "authorized-labels": [], "validity": 30}');
    const err = configError(() => loadAnonymousProfile({ anonymousProfileFilePath: path }));
    expect(err.variable).toBe('ANONYMOUS_PROFILE_FILE_PATH');
    expect(err.message).toContain(path);
    expect(err.message).toContain('"peek"');
  });

  it.each([0, -5, 1.5, '60', null, 86401])('refuses validity %j (must be an integer > 0)', (validity) => {
    expect(() => validateAnonymousProfile({ name: 'A', permissions: [], 'authorized-labels': [], validity })).toThrow(
      /"validity" must be an integer/,
    );
  });

  it('refuses a missing name, wrong lists, a non-object and a malformed file', () => {
    expect(() => validateAnonymousProfile({ permissions: [], validity: 60 })).toThrow(/"name"/);
    expect(() => validateAnonymousProfile({ name: 'A', permissions: 'view', validity: 60 })).toThrow(/"permissions"/);
    expect(() => validateAnonymousProfile({ name: 'A', 'authorized-labels': [1], validity: 60 })).toThrow(
      /"authorized-labels"\[0\]/,
    );
    expect(() => validateAnonymousProfile([])).toThrow(/JSON object/);
    const err = configError(() => loadAnonymousProfile({ anonymousProfileFilePath: fileWith('{"name": "A",, }') }));
    expect(err.message).toMatch(/line 1, column \d+/);
    expect(
      configError(() => loadAnonymousProfile({ anonymousProfileFilePath: join(dir, 'missing.json') })).message,
    ).toContain('does not exist');
  });
});
