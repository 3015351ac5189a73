import { isPermission, Permission, PERMISSIONS } from './permissions';
import type { RoleGrant, RolesConfig } from './role-mapping';

/** A roles configuration does not have the expected shape; `field` is the path of the culprit. */
export class RolesConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'RolesConfigError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Reads a key written kebab-case or snake_case (the Python service and older OE2 write both); not both at once. */
function eitherSpelling(obj: Record<string, unknown>, kebab: string, at: string): { value: unknown; field: string } {
  const snake = kebab.replace(/-/g, '_');
  const hasKebab = has(obj, kebab);
  const hasSnake = has(obj, snake);
  if (hasKebab && hasSnake) {
    throw new RolesConfigError(`${at}${snake}`, `duplicates ${at}${kebab}: give only one of the two spellings`);
  }
  return hasSnake ? { value: obj[snake], field: `${at}${snake}` } : { value: obj[kebab], field: `${at}${kebab}` };
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RolesConfigError(field, 'must be an array of strings');
  return value.map((item, i) => {
    if (typeof item !== 'string' || item.length === 0) {
      throw new RolesConfigError(`${field}[${i}]`, 'must be a non-empty string');
    }
    return item;
  });
}

function permissionList(value: unknown, field: string): Permission[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RolesConfigError(field, 'must be an array of permissions');
  return value.map((item, i) => {
    if (!isPermission(item)) {
      // JSON.stringify answers undefined for undefined, a function or a symbol, though typed string.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      const shown = typeof item === 'string' ? `"${item}"` : (JSON.stringify(item) ?? String(item));
      throw new RolesConfigError(
        `${field}[${i}]`,
        `is the unknown permission ${shown}; known permissions: ${PERMISSIONS.join(', ')}`,
      );
    }
    return item;
  });
}

/**
 * Checks a roles configuration (from the file or a PUT body) and returns its canonical kebab-case form.
 * Missing lists count as empty; unknown keys are ignored; the first problem is thrown as a {@link RolesConfigError}
 * naming the field, e.g. `roles.doctor-role.permissions[2]`.
 */
export function validateRolesConfig(value: unknown): RolesConfig {
  if (!isPlainObject(value))
    throw new RolesConfigError('content', 'must be a JSON object with "roles" and "available-labels"');
  if (!has(value, 'roles'))
    throw new RolesConfigError('roles', 'is required: an object of role name -> {permissions, authorized-labels}');
  const rolesIn = value.roles;
  if (!isPlainObject(rolesIn))
    throw new RolesConfigError('roles', 'must be an object of role name -> {permissions, authorized-labels}');

  const entries: [string, RoleGrant][] = Object.keys(rolesIn).map((name) => {
    const at = `roles.${name}`;
    if (name.trim().length === 0) throw new RolesConfigError(at, 'has an empty role name');
    const grant = rolesIn[name];
    if (!isPlainObject(grant))
      throw new RolesConfigError(at, 'must be an object with "permissions" and "authorized-labels"');
    const permissions = permissionList(grant.permissions, `${at}.permissions`);
    const labels = eitherSpelling(grant, 'authorized-labels', `${at}.`);
    return [name, { permissions, 'authorized-labels': stringList(labels.value, labels.field) }];
  });
  const available = eitherSpelling(value, 'available-labels', '');
  // Object.fromEntries defines own properties: a role named "__proto__" stays an ordinary role.
  return { roles: Object.fromEntries(entries), 'available-labels': stringList(available.value, available.field) };
}

/** The form written to disk: canonical kebab-case keys, two-space indent, trailing newline. */
export function serializeRolesConfig(config: RolesConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
