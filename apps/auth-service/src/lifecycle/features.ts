import { TOKEN_TYPES, TokenType } from '@app/tokens';
import type { AppConfig } from '../app.config';

/** The configurations the start-up summary is made of (the ones the running application was built with). */
type FeatureConfigs = Pick<
  AppConfig,
  'core' | 'tokens' | 'keycloak' | 'meddream' | 'emails' | 'shares' | 'permissions'
>;

/** What this instance does, as fields of the start-up line (for JSON logs) and as its one-line text. */
export interface Features {
  /** The share-link types this instance creates. */
  links: TokenType[];
  /** The others, each with what to set to turn it on. */
  linksOff: Record<string, string>;
  keycloak: string;
  emails: string;
  meddream: string;
  registry: string;
  /** Protected links (password or e-mailed code, opened through the share page). */
  protectedLinks: string;
  dataDir: string;
  rolesFile: string;
}

/** What a link type needs that is not configured, or null when the type can be created here. */
function missingFor(type: TokenType, c: Pick<FeatureConfigs, 'tokens' | 'meddream'>): string | null {
  const meddream = c.meddream.enabled ? null : 'MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT';
  switch (type) {
    case 'stone-viewer-publication':
    case 'osimis-viewer-publication':
    case 'volview-viewer-publication':
      return c.tokens.publicOrthancRoot ? null : 'PUBLIC_ORTHANC_ROOT';
    case 'ohif-viewer-publication':
      return c.tokens.publicOhifRoot ? null : 'PUBLIC_OHIF_ROOT';
    case 'meddream-instant-link':
      return meddream;
    case 'meddream-viewer-publication':
      if (meddream && !c.tokens.publicLandingRoot) return `${meddream} and PUBLIC_LANDING_ROOT`;
      return meddream ?? (c.tokens.publicLandingRoot ? null : 'PUBLIC_LANDING_ROOT');
    case 'viewer-instant-link':
    case 'download-instant-link':
      return null;
  }
}

/** A URL as it may be shown in a log line: scheme, host, port and path, never credentials or a query. */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

export function describeFeatures(c: FeatureConfigs): Features {
  const links: TokenType[] = [];
  const linksOff: Record<string, string> = {};
  for (const type of TOKEN_TYPES) {
    const missing = missingFor(type, c);
    if (missing) linksOff[type] = `set ${missing}`;
    else links.push(type);
  }
  const kc = c.keycloak;
  const keycloak = !kc.enabled
    ? 'off (ENABLE_KEYCLOAK=false: every user is the anonymous profile)'
    : `on (${kc.provider === 'keycloak' ? 'Keycloak' : 'OpenID provider'}), issuer ${displayUrl(kc.issuerUrl ?? '')}${kc.admin ? ', admin API on' : ''}${kc.apiKeys ? ', api-keys on' : ''}`;
  const smtp = c.emails.smtp;
  const emails =
    c.emails.enabled && smtp ? `on, SMTP ${smtp.host}:${smtp.port}${smtp.usesTls ? ' (TLS)' : ' (no TLS)'}` : 'off';
  const meddream =
    c.meddream.enabled && c.meddream.tokenServiceUrl
      ? `on, token service ${displayUrl(c.meddream.tokenServiceUrl)}`
      : 'off (set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT)';
  const storage = c.shares.storage;
  const registry = !c.shares.enabled
    ? 'off (ENABLE_SHARES_REGISTRY=false: links cannot be listed or revoked)'
    : storage.kind === 'postgres'
      ? `PostgreSQL ${postgresPlace(storage.url)}`
      : `SQLite ${storage.path}`;
  const protectedLinks = !c.shares.enabled
    ? 'off (they need the share registry)'
    : !c.tokens.publicSharePageRoot
      ? 'off (set PUBLIC_SHARE_PAGE_ROOT)'
      : `on, share page ${displayUrl(c.tokens.publicSharePageRoot)}${c.emails.enabled ? ', e-mailed codes on' : ', e-mailed codes off (e-mails off)'}${c.emails.bindShareLinks ? ', share e-mails bound to their recipients' : ''}`;
  return {
    links,
    linksOff,
    keycloak,
    emails,
    meddream,
    registry,
    protectedLinks,
    dataDir: c.core.dataDir,
    rolesFile: c.permissions.permissionsFilePath,
  };
}

/** host:port/database of a PostgreSQL URL (never the user or password). */
function postgresPlace(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(DATABASE_URL)';
  }
}

/** The one start-up line: what is on, what is off and why, and where the data lives. */
export function featuresLine(f: Features): string {
  const off = Object.entries(f.linksOff).map(([type, why]) => `${type} (${why})`);
  return [
    `links: ${f.links.join(', ')}${off.length ? `; off: ${off.join(', ')}` : ''}`,
    `Keycloak: ${f.keycloak}`,
    `e-mails: ${f.emails}`,
    `MedDream: ${f.meddream}`,
    `share registry: ${f.registry}`,
    `protected links: ${f.protectedLinks}`,
    `data: ${f.dataDir} (roles file ${f.rolesFile})`,
  ].join(' | ');
}
