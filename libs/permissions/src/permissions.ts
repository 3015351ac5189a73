/** The permissions Orthanc's authorization plugin and OE2 know (PROTOCOL.md section 1), in the contract's order. */
export const PERMISSIONS = [
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
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(PERMISSIONS);

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && KNOWN.has(value);
}
