import { loadAppConfig } from '../app.config';
import { describeFeatures, displayUrl, featuresLine } from './features';

const BASE = {
  NODE_ENV: 'production',
  SECRET_KEY: 'k'.repeat(32),
  USERS: '{"u":"a-long-password"}',
  DATA_DIR: '/srv/auth',
};
const features = async (env: Record<string, string>) =>
  describeFeatures(await loadAppConfig({ env: { ...BASE, ...env } }));

describe('the start-up features summary', () => {
  it('production without public URLs: only the instant links, and each other type says what to set', async () => {
    const f = await features({});
    expect(f.links).toEqual(['viewer-instant-link', 'download-instant-link']);
    expect(f.linksOff).toEqual({
      'stone-viewer-publication': 'set PUBLIC_ORTHANC_ROOT',
      'ohif-viewer-publication': 'set PUBLIC_OHIF_ROOT',
      'volview-viewer-publication': 'set PUBLIC_ORTHANC_ROOT',
      'osimis-viewer-publication': 'set PUBLIC_ORTHANC_ROOT',
      'meddream-viewer-publication': 'set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT and PUBLIC_LANDING_ROOT',
      'meddream-instant-link': 'set MEDDREAM_TOKEN_SERVICE_URL and PUBLIC_MEDDREAM_ROOT',
    });
    expect(f.registry).toBe('SQLite /srv/auth/shares.sqlite');
    expect(f.protectedLinks).toBe('off (set PUBLIC_SHARE_PAGE_ROOT)');
    expect(f.dataDir).toBe('/srv/auth');
  });

  it('everything configured: every link type, Keycloak, e-mails, MedDream and PostgreSQL, with no credential shown', async () => {
    const f = await features({
      PUBLIC_ORTHANC_ROOT: 'https://pacs.example.org/orthanc/',
      PUBLIC_OHIF_ROOT: 'https://pacs.example.org/ohif/',
      PUBLIC_LANDING_ROOT: 'https://pacs.example.org/orthanc/ui/app/token-landing.html',
      MEDDREAM_TOKEN_SERVICE_URL: 'http://md:secret@meddream-token-service:8088/v3/generate?key=x',
      PUBLIC_MEDDREAM_ROOT: 'https://pacs.example.org/meddream/',
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: 'http://keycloak:8080/realms/orthanc/',
      ENABLE_EMAILS: 'true',
      EMAILS_SMTP_SERVER_HOSTNAME: 'smtp.example.org',
      EMAILS_SENDER_ADDRESS: 'pacs@example.org',
      DATABASE_URL: 'postgres://auth:db-password@db:5433/orthanc_auth',
      PUBLIC_SHARE_PAGE_ROOT: 'https://pacs.example.org/share/',
      EMAILS_BIND_SHARE_LINKS: 'true',
    });
    expect(f.linksOff).toEqual({});
    expect(f.links).toHaveLength(8);
    expect(f.keycloak).toBe('on (Keycloak), issuer http://keycloak:8080/realms/orthanc/');
    expect(f.emails).toBe('on, SMTP smtp.example.org:587 (TLS)');
    expect(f.meddream).toBe('on, token service http://meddream-token-service:8088/v3/generate');
    expect(f.registry).toBe('PostgreSQL db:5433/orthanc_auth');
    expect(f.protectedLinks).toBe(
      'on, share page https://pacs.example.org/share/, e-mailed codes on, share e-mails bound to their recipients',
    );
    const line = featuresLine(f);
    expect(line).not.toMatch(/secret|db-password|key=x/);
    expect(line.split('\n')).toHaveLength(1);
  });

  it('the registry switched off says so', async () => {
    const f = await features({
      ENABLE_SHARES_REGISTRY: 'false',
      PUBLIC_SHARE_PAGE_ROOT: 'https://pacs.example.org/share/',
    });
    expect(f.registry).toMatch(/^off \(ENABLE_SHARES_REGISTRY=false/);
    expect(f.protectedLinks).toBe('off (they need the share registry)');
  });

  it('displayUrl keeps scheme, host and path only', async () => {
    expect(displayUrl('https://u:p@h.example:8443/a/b?c=d#e')).toBe('https://h.example:8443/a/b');
    expect(displayUrl('not a url')).toBe('(not a URL)');
  });
});
