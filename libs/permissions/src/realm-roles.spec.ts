import type { RolesConfig } from './role-mapping';
import { isBuiltInRealmRole, reconcileRoles } from './realm-roles';

const config: RolesConfig = {
  roles: {
    'admin-role': { permissions: ['all'], 'authorized-labels': ['*'] },
    'gone-role': { permissions: ['view'], 'authorized-labels': [] },
    'doctor-role': { permissions: ['view', 'share'], 'authorized-labels': ['*'] },
  },
  'available-labels': ['external'],
};

describe('reconcileRoles', () => {
  it('keeps configured roles the realm has, drops the others, adds missing realm roles with empty lists', () => {
    expect(reconcileRoles(config, ['doctor-role', 'new-role', 'admin-role'])).toEqual({
      roles: {
        'admin-role': { permissions: ['all'], 'authorized-labels': ['*'] },
        'doctor-role': { permissions: ['view', 'share'], 'authorized-labels': ['*'] },
        'new-role': { permissions: [], 'authorized-labels': [] },
      },
      'available-labels': ['external'],
    });
  });

  it('keeps the file order for kept roles, then the realm order for added ones', () => {
    const out = reconcileRoles(config, ['z-role', 'doctor-role', 'a-role', 'admin-role']);
    expect(Object.keys(out.roles)).toEqual(['admin-role', 'doctor-role', 'z-role', 'a-role']);
  });

  it('leaves out Keycloak built-in roles and duplicates even if the source lets them through', () => {
    const out = reconcileRoles(config, ['offline_access', 'uma_authorization', 'default-roles-orthanc', 'x', 'x']);
    expect(Object.keys(out.roles)).toEqual(['x']);
    expect(['offline_access', 'uma_authorization', 'default-roles-master'].every(isBuiltInRealmRole)).toBe(true);
    expect(isBuiltInRealmRole('doctor-role')).toBe(false);
  });

  it('an empty realm empties the roles; the input is not changed and shares nothing with the output', () => {
    const before = JSON.stringify(config);
    expect(reconcileRoles(config, [])).toEqual({ roles: {}, 'available-labels': ['external'] });
    const out = reconcileRoles(config, ['admin-role']);
    out.roles['admin-role'].permissions.push('view');
    out['available-labels'].push('y');
    expect(JSON.stringify(config)).toBe(before);
  });
});
