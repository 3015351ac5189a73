import { claimAt, identityFromClaims } from './keycloak-identity';

const realmRoles = ['realm_access', 'roles'];

describe('identityFromClaims', () => {
  it('maps sub, name, realm roles and groups', () => {
    expect(
      identityFromClaims(
        {
          sub: 'u1',
          name: 'Dr Who',
          preferred_username: 'who',
          exp: 1900000000,
          realm_access: { roles: ['doctor-role', 'offline_access'] },
          groups: ['/cardio'],
        },
        realmRoles,
      ),
    ).toEqual({
      userId: 'u1',
      name: 'Dr Who',
      roles: ['doctor-role', 'offline_access'],
      groups: ['/cardio'],
      expiresAt: 1900000000,
    });
  });

  it('falls back to preferred_username, then the subject; no groups claim gives null; no roles gives none', () => {
    expect(identityFromClaims({ sub: 'u1', preferred_username: 'who' }, realmRoles)).toEqual({
      userId: 'u1',
      name: 'who',
      roles: [],
      groups: null,
      expiresAt: null,
    });
    expect(identityFromClaims({ sub: 'u1', name: '' }, realmRoles)?.name).toBe('u1');
  });

  it('names nobody without a subject', () => {
    expect(identityFromClaims({ preferred_username: 'who' }, realmRoles)).toBeNull();
  });

  it('reads client roles at a configured path and ignores non-string entries', () => {
    const payload = { sub: 'u', resource_access: { orthanc: { roles: ['a', 1, null, 'b'] } } };
    expect(identityFromClaims(payload, ['resource_access', 'orthanc', 'roles'])?.roles).toEqual(['a', 'b']);
  });

  it('follows own properties only', () => {
    expect(claimAt({ a: {} }, ['a', 'constructor'])).toBeUndefined();
    expect(claimAt({ a: [1] }, ['a', '0'])).toBeUndefined();
  });
});
