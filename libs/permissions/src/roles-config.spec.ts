import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsoncSyntaxError, parseJsonc } from './jsonc';
import { parseRolesFile } from './permissions-files';
import { PERMISSIONS } from './permissions';
import { RolesConfigError, serializeRolesConfig, validateRolesConfig } from './roles-config';
import { configError } from '../../../test/support/config-error';

function rolesError(value: unknown): RolesConfigError {
  try {
    validateRolesConfig(value);
  } catch (err) {
    if (err instanceof RolesConfigError) return err;
    throw err;
  }
  throw new Error('expected a RolesConfigError');
}

describe('parseJsonc', () => {
  it('accepts // and /* */ comments anywhere whitespace may be, and a BOM', () => {
    const text = '\uFEFF// header\n{ /* a */ "a": [1, // one\n 2] /* end */ }\n// trailer';
    expect(parseJsonc(text)).toEqual({ a: [1, 2] });
  });

  it('keeps comment-like text inside strings', () => {
    expect(parseJsonc('{"url": "http://x//y", "c": "/* no */"}')).toEqual({ url: 'http://x//y', c: '/* no */' });
  });

  it('reports the line and column of a syntax error', () => {
    let error: unknown;
    try {
      parseJsonc('{\n  "a": 1,\n  "b" 2\n}');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JsoncSyntaxError);
    expect((error as JsoncSyntaxError).line).toBe(3);
    expect((error as JsoncSyntaxError).column).toBe(7);
    expect((error as Error).message).toBe('ColonExpected at line 3, column 7 (offset 18)');
  });

  it('rejects trailing commas, unterminated comments and empty content', () => {
    expect(() => parseJsonc('{"a": 1,}')).toThrow(JsoncSyntaxError);
    expect(() => parseJsonc('{"a": 1} /* open')).toThrow(JsoncSyntaxError);
    expect(() => parseJsonc('   // only a comment\n')).toThrow(JsoncSyntaxError);
  });

  it('makes __proto__ an ordinary key, never a prototype', () => {
    const value = parseJsonc('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('validateRolesConfig', () => {
  it('returns the canonical form of a valid configuration', () => {
    const input = {
      roles: { 'doctor-role': { permissions: ['view', 'download', 'share'], 'authorized-labels': ['*'] } },
      'available-labels': ['external'],
    };
    expect(validateRolesConfig(input)).toEqual(input);
  });

  it('accepts the snake_case spellings and writes them kebab-case', () => {
    const out = validateRolesConfig({
      roles: { r: { permissions: ['view'], authorized_labels: ['a'] } },
      available_labels: ['a', 'b'],
    });
    expect(out).toEqual({
      roles: { r: { permissions: ['view'], 'authorized-labels': ['a'] } },
      'available-labels': ['a', 'b'],
    });
    expect(serializeRolesConfig(out)).not.toContain('_labels');
  });

  it('rejects both spellings at once, naming the field', () => {
    expect(rolesError({ roles: { r: { 'authorized-labels': [], authorized_labels: [] } } }).field).toBe(
      'roles.r.authorized_labels',
    );
    expect(rolesError({ roles: {}, 'available-labels': [], available_labels: [] }).field).toBe('available_labels');
  });

  it('counts missing lists as empty and ignores unknown keys', () => {
    expect(validateRolesConfig({ roles: { r: {} }, 'server-id': 'x' })).toEqual({
      roles: { r: { permissions: [], 'authorized-labels': [] } },
      'available-labels': [],
    });
  });

  it('accepts every known permission', () => {
    const out = validateRolesConfig({ roles: { a: { permissions: [...PERMISSIONS] } } });
    expect(out.roles.a.permissions).toEqual([...PERMISSIONS]);
  });

  it('names an unknown permission and its place', () => {
    const err = rolesError({
      roles: { ok: { permissions: ['view'] }, 'doctor-role': { permissions: ['view', 'fly'] } },
    });
    expect(err.field).toBe('roles.doctor-role.permissions[1]');
    expect(err.message).toContain('unknown permission "fly"');
    expect(rolesError({ roles: { r: { permissions: ['View'] } } }).message).toContain('"View"');
    expect(rolesError({ roles: { r: { permissions: [3] } } }).message).toContain('unknown permission 3');
  });

  it.each([
    [null, 'content'],
    [[], 'content'],
    ['roles', 'content'],
    [{}, 'roles'],
    [{ roles: [] }, 'roles'],
    [{ roles: null }, 'roles'],
    [{ roles: { r: [] } }, 'roles.r'],
    [{ roles: { r: 'view' } }, 'roles.r'],
    [{ roles: { '': {} } }, 'roles.'],
    [{ roles: { '  ': {} } }, 'roles.  '],
    [{ roles: { r: { permissions: 'view' } } }, 'roles.r.permissions'],
    [{ roles: { r: { permissions: null } } }, 'roles.r.permissions'],
    [{ roles: { r: { 'authorized-labels': '*' } } }, 'roles.r.authorized-labels'],
    [{ roles: { r: { authorized_labels: [1] } } }, 'roles.r.authorized_labels[0]'],
    [{ roles: { r: { 'authorized-labels': ['a', ''] } } }, 'roles.r.authorized-labels[1]'],
    [{ roles: {}, 'available-labels': {} }, 'available-labels'],
    [{ roles: {}, 'available-labels': [null] }, 'available-labels[0]'],
  ])('rejects the wrong shape %j naming %s', (value, field) => {
    expect(rolesError(value).field).toBe(field);
  });

  it('keeps a role named __proto__ as an ordinary role', () => {
    const out = validateRolesConfig(JSON.parse('{"roles": {"__proto__": {"permissions": ["view"]}}}'));
    expect(Object.keys(out.roles)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out.roles)).toBe(Object.prototype);
  });
});

describe('parseRolesFile', () => {
  it('reads the shipped config/permissions.json (with its comment header) as the three Python-service roles', () => {
    const path = join(__dirname, '../../../config/permissions.json');
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('//')).toBe(true);
    const config = parseRolesFile(text, path);
    expect(Object.keys(config.roles)).toEqual(['admin-role', 'doctor-role', 'external-role']);
    expect(config.roles['admin-role']).toEqual({ permissions: [...PERMISSIONS], 'authorized-labels': ['*'] });
    expect(config.roles['doctor-role']).toEqual({
      permissions: ['view', 'download', 'share', 'send'],
      'authorized-labels': ['*'],
    });
    expect(config.roles['external-role']).toEqual({
      permissions: ['view', 'download'],
      'authorized-labels': ['external'],
    });
    expect(config['available-labels']).toEqual([]);
  });

  it('accepts comments and authorized_labels (a Python-service file)', () => {
    const text = `{
      // the doctors
      "roles": { "doctor-role": { "permissions": ["view"], "authorized_labels": ["*"] } }, /* none yet */
      "available_labels": []
    }`;
    expect(parseRolesFile(text, '/etc/p.json')).toEqual({
      roles: { 'doctor-role': { permissions: ['view'], 'authorized-labels': ['*'] } },
      'available-labels': [],
    });
  });

  it('makes an unknown permission a start-up error naming it, its role and the file', () => {
    const err = configError(() =>
      parseRolesFile(
        '{"roles": {"doctor-role": {"permissions": ["view", "teleport"]}}}',
        '/etc/orthanc/permissions.json',
      ),
    );
    expect(err.variable).toBe('PERMISSIONS_FILE_PATH');
    expect(err.message).toContain('/etc/orthanc/permissions.json');
    expect(err.message).toContain('"teleport"');
    expect(err.message).toContain('roles.doctor-role.permissions[1]');
  });

  it('makes a malformed file a start-up error naming the file and the position', () => {
    const err = configError(() =>
      parseRolesFile('// header\n{\n  "roles": {\n    "a": {"permissions": ["view"]}\n  ,}\n}', '/x/permissions.json'),
    );
    expect(err.message).toContain('/x/permissions.json');
    expect(err.message).toMatch(/line 5, column 4/);
  });

  it('makes a wrong shape a start-up error naming the field and the file', () => {
    const err = configError(() => parseRolesFile('{"roles": {"a": {"permissions": "view"}}}', '/x/p.json'));
    expect(err.message).toContain('/x/p.json');
    expect(err.message).toContain('roles.a.permissions must be an array');
  });
});
