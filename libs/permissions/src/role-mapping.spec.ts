import { PERMISSIONS, isPermission } from './permissions';
import { profileFromRoles, RolesConfig } from './role-mapping';

const config: RolesConfig = {
  roles: {
    'admin-role': { permissions: ['all', 'view', 'settings'], 'authorized-labels': ['*'] },
    'doctor-role': { permissions: ['view', 'download', 'share', 'send'], 'authorized-labels': ['*'] },
    'external-role': { permissions: ['view', 'download'], 'authorized-labels': ['external'] },
    'nurse-role': { permissions: ['upload', 'view'], 'authorized-labels': ['ward', 'external'] },
    'empty-role': { permissions: [], 'authorized-labels': [] },
  },
  'available-labels': ['external', 'ward'],
};

describe('PERMISSIONS', () => {
  it('lists the 17 permissions of PROTOCOL.md section 1 in the contract order', () => {
    expect(PERMISSIONS).toEqual([
      'all',
      'view',
      'download',
      'delete',
      'send',
      'modify',
      'anonymize',
      'upload',
      'q-r-remote-modalities',
      'settings',
      'api-view',
      'edit-labels',
      'admin-permissions',
      'audit-logs',
      'worklists',
      'share',
      'create-inbox-links',
    ]);
  });

  it('isPermission accepts each known value and nothing else', () => {
    for (const p of PERMISSIONS) expect(isPermission(p)).toBe(true);
    for (const v of [
      'View',
      'q_r_remote_modalities',
      '',
      ' view',
      'admin',
      'toString',
      '__proto__',
      1,
      null,
      undefined,
      ['view'],
    ]) {
      expect(isPermission(v)).toBe(false);
    }
  });
});

describe('profileFromRoles', () => {
  it('gives nothing for no roles', () => {
    expect(profileFromRoles([], config)).toEqual({ permissions: [], authorizedLabels: [] });
  });

  it('gives nothing when the configuration has no roles', () => {
    expect(profileFromRoles(['doctor-role'], { roles: {}, 'available-labels': [] })).toEqual({
      permissions: [],
      authorizedLabels: [],
    });
  });

  it('gives one role its permissions and labels in the configured order', () => {
    expect(profileFromRoles(['doctor-role'], config)).toEqual({
      permissions: ['view', 'download', 'share', 'send'],
      authorizedLabels: ['*'],
    });
  });

  it('appends roles in the user order, skipping duplicates (first occurrence wins the position)', () => {
    expect(profileFromRoles(['external-role', 'doctor-role', 'nurse-role'], config)).toEqual({
      permissions: ['view', 'download', 'share', 'send', 'upload'],
      authorizedLabels: ['external', '*', 'ward'],
    });
    expect(profileFromRoles(['nurse-role', 'external-role', 'doctor-role'], config)).toEqual({
      permissions: ['upload', 'view', 'download', 'share', 'send'],
      authorizedLabels: ['ward', 'external', '*'],
    });
  });

  it('ignores unknown roles wherever they appear, including Keycloak defaults and prototype names', () => {
    const roles = [
      'offline_access',
      'external-role',
      'uma_authorization',
      'constructor',
      '__proto__',
      'toString',
      'ghost',
    ];
    expect(profileFromRoles(roles, config)).toEqual({
      permissions: ['view', 'download'],
      authorizedLabels: ['external'],
    });
    expect(profileFromRoles(['ghost', 'constructor'], config)).toEqual({ permissions: [], authorizedLabels: [] });
  });

  it('counts a role listed twice once', () => {
    expect(profileFromRoles(['external-role', 'external-role'], config)).toEqual({
      permissions: ['view', 'download'],
      authorizedLabels: ['external'],
    });
  });

  it('adds nothing for a configured role with empty lists', () => {
    expect(profileFromRoles(['empty-role', 'external-role', 'empty-role'], config)).toEqual({
      permissions: ['view', 'download'],
      authorizedLabels: ['external'],
    });
  });

  it('deduplicates repeated entries inside one role too', () => {
    const dup: RolesConfig = {
      roles: { r: { permissions: ['view', 'view', 'share'], 'authorized-labels': ['a', 'a'] } },
      'available-labels': [],
    };
    expect(profileFromRoles(['r'], dup)).toEqual({ permissions: ['view', 'share'], authorizedLabels: ['a'] });
  });

  it('does not mutate the configuration or share arrays with it', () => {
    const before = JSON.stringify(config);
    const result = profileFromRoles(['doctor-role'], config);
    result.permissions.push('delete');
    result.authorizedLabels.push('x');
    expect(JSON.stringify(config)).toBe(before);
  });

  it('matches role names exactly (case and spelling)', () => {
    expect(profileFromRoles(['Doctor-Role', 'doctor_role', ' doctor-role'], config)).toEqual({
      permissions: [],
      authorizedLabels: [],
    });
  });
});
