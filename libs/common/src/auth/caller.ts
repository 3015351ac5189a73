/** Who is calling this service: a Basic login from USERS, or (on some routes) a Keycloak user. */
export interface Caller {
  kind: 'basic' | 'bearer';
  /** The Basic login, or the user's name. */
  name: string;
  /** The Keycloak subject, for bearer callers. */
  userId?: string | null;
  /** The permissions of a bearer caller (Basic callers are trusted services: undefined). */
  permissions?: readonly string[];
  /** The Orthanc labels a bearer caller may see (`*`: all), as the roles configuration maps them. */
  authorizedLabels?: readonly string[];
}
