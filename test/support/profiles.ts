/**
 * What the suites expect of get-profile, written out by hand (not imported from the permissions lib, so that a
 * change there is caught here): every permission of the contract in its order (PROTOCOL.md section 1), and the
 * built-in anonymous profile (section 6).
 */
export const ALL_PERMISSIONS = [
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
];

export const ANONYMOUS = {
  name: 'Anonymous',
  permissions: [],
  'authorized-labels': [],
  validity: 60,
  'user-id': null,
  groups: null,
};
