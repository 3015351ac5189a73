import { claimAt, DEFAULT_CLAIM_MAPPING, identityFromClaims, nameList } from './keycloak-identity';

const withRoles = (roles: string[]) => ({ ...DEFAULT_CLAIM_MAPPING, roles });

describe('identityFromClaims', () => {
  it('maps sub, name, realm roles and groups (Keycloak, the defaults)', () => {
    expect(
      identityFromClaims({
        sub: 'u1',
        name: 'Dr Who',
        preferred_username: 'who',
        exp: 1900000000,
        realm_access: { roles: ['doctor-role', 'offline_access'] },
        groups: ['/cardio'],
      }),
    ).toEqual({
      userId: 'u1',
      name: 'Dr Who',
      roles: ['doctor-role', 'offline_access'],
      groups: ['/cardio'],
      expiresAt: 1900000000,
    });
  });

  it('falls back to preferred_username, then the subject; no groups claim gives null; no roles gives none', () => {
    expect(identityFromClaims({ sub: 'u1', preferred_username: 'who' })).toEqual({
      userId: 'u1',
      name: 'who',
      roles: [],
      groups: null,
      expiresAt: null,
    });
    expect(identityFromClaims({ sub: 'u1', name: '' })?.name).toBe('u1');
  });

  it('names nobody without a subject', () => {
    expect(identityFromClaims({ preferred_username: 'who' })).toBeNull();
    expect(identityFromClaims({ sub: '' })).toBeNull();
  });

  it('reads client roles at a configured path and ignores non-string entries', () => {
    const payload = { sub: 'u', resource_access: { orthanc: { roles: ['a', 1, null, 'b'] } } };
    expect(identityFromClaims(payload, withRoles(['resource_access', 'orthanc', 'roles']))?.roles).toEqual(['a', 'b']);
  });

  it('reads roles and groups written as one string, as glewlwyd maps a multi-valued user property', () => {
    const mapping = { ...DEFAULT_CLAIM_MAPPING, roles: ['roles'], groups: ['team'] };
    expect(identityFromClaims({ sub: 'u', roles: 'doctor-role' }, mapping)?.roles).toEqual(['doctor-role']);
    expect(identityFromClaims({ sub: 'u', roles: 'admin-role,doctor-role' }, mapping)?.roles).toEqual([
      'admin-role',
      'doctor-role',
    ]);
    expect(identityFromClaims({ sub: 'u', roles: ' a b,, c ', team: 'x y' }, mapping)).toMatchObject({
      roles: ['a', 'b', 'c'],
      groups: ['x', 'y'],
    });
    expect(identityFromClaims({ sub: 'u', roles: { a: 1 }, team: 42 }, mapping)).toMatchObject({
      roles: [],
      groups: null,
    });
  });

  it('takes the user id and the name from configured claims', () => {
    const mapping = { ...DEFAULT_CLAIM_MAPPING, userId: ['oid'], names: [['upn'], ['email']] };
    expect(identityFromClaims({ sub: 'pairwise-1', oid: 'u-42', email: 'a@b.org' }, mapping)).toMatchObject({
      userId: 'u-42',
      name: 'a@b.org',
    });
    expect(identityFromClaims({ sub: 'pairwise-1' }, mapping)).toBeNull();
  });

  it('follows own properties only', () => {
    expect(claimAt({ a: {} }, ['a', 'constructor'])).toBeUndefined();
    expect(claimAt({ a: [1] }, ['a', '0'])).toBeUndefined();
  });

  it('nameList: arrays keep their strings, strings split on whitespace, commas and semicolons, anything else is null', () => {
    expect(nameList(['a', 2, 'b'])).toEqual(['a', 'b']);
    expect(nameList('a, b c')).toEqual(['a', 'b', 'c']);
    // Issue 25: a multi-valued attribute joined with "; " lost its first role to "admin-role;".
    expect(nameList('admin-role; doctor-role')).toEqual(['admin-role', 'doctor-role']);
    expect(nameList('admin-role;doctor-role,\tviewer\nnurse')).toEqual([
      'admin-role',
      'doctor-role',
      'viewer',
      'nurse',
    ]);
    expect(nameList('')).toEqual([]);
    expect(nameList(undefined)).toBeNull();
    expect(nameList(7)).toBeNull();
  });
});
