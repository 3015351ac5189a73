import { isBuiltInRole, userIsActive, userWithApiKey } from './keycloak-admin.client';

describe('admin client helpers', () => {
  it('recognises Keycloak built-in realm roles', () => {
    for (const r of ['uma_authorization', 'offline_access', 'default-roles-orthanc'])
      expect(isBuiltInRole(r)).toBe(true);
    for (const r of ['doctor-role', 'offline', 'roles-default']) expect(isBuiltInRole(r)).toBe(false);
  });

  it('matches the api-key attribute exactly, refusing ambiguity', () => {
    const a = { id: '1', username: 'a', attributes: { 'api-key': ['key-1'] } };
    const b = { id: '2', username: 'b', attributes: { 'api-key': ['key-10'] } };
    const c = { id: '3', username: 'c', attributes: { 'api-key': ['key-1', 'other'] } };
    expect(userWithApiKey([a, b], 'key-1')).toBe(a);
    expect(userWithApiKey([b], 'key-1')).toBeNull();
    expect(userWithApiKey([a, c], 'key-1')).toBe('ambiguous');
    expect(userWithApiKey([{ id: '4', username: 'd', attributes: { 'api-key': 'key-1' } }], 'key-1')).toBeNull();
  });

  it('accepts only enabled users whose notBefore is past', () => {
    const now = 1_800_000_000;
    expect(userIsActive({ id: '1', username: 'a', enabled: true, notBefore: 0 }, now)).toBe(true);
    expect(userIsActive({ id: '1', username: 'a', enabled: true }, now)).toBe(true);
    expect(userIsActive({ id: '1', username: 'a', enabled: false }, now)).toBe(false);
    expect(userIsActive({ id: '1', username: 'a' }, now)).toBe(false);
    expect(userIsActive({ id: '1', username: 'a', enabled: true, notBefore: now + 60 }, now)).toBe(false);
  });
});
