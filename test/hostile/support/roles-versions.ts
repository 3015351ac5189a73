import type { RolesConfig } from '@app/permissions';

/**
 * Version n of a roles configuration, big enough (about 100 kB on disk) that a write takes a while and a kill
 * lands in the middle of one: every version is different and recognisable by its `n`.
 */
export function rolesVersion(n: number): RolesConfig {
  return {
    roles: {
      [`version-${n}`]: {
        permissions: ['view', 'download'],
        'authorized-labels': Array.from({ length: 3000 }, (_, i) => `label-${n}-${i}`),
      },
      'doctor-role': { permissions: n % 2 ? ['view'] : ['view', 'share'], 'authorized-labels': ['*'] },
    },
    'available-labels': [`v${n}`],
  };
}

/** Which version a parsed configuration is, or null when it is none of them. */
export function whichVersion(config: unknown): number | null {
  const roles = (config as RolesConfig | undefined)?.roles;
  if (!roles) return null;
  const name = Object.keys(roles).find((r) => r.startsWith('version-'));
  return name ? Number(name.slice('version-'.length)) : null;
}
