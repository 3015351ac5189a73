import { call, RunningApp, startApp } from './support/app';
import { startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';
import { ANONYMOUS } from './support/profiles';

// The issuer, exactly as the provider announces it (OpenID Discovery 4.3), against real oidc-provider instances whose
// issuers end with a slash: one with a path (`http://127.0.0.1:<port>/oidc/`), one at the root of its host (a portal
// URL, `http://127.0.0.1:<port>/`). Before issue 25 the configuration stripped the slash, so the first failed discovery
// however it was written and the second refused every user token; a configured issuer that is not the announced one
// was a 503 whose log line did not say what differed.

const root: TestUser = { sub: 'u-root', preferred_username: 'root', roles: ['admin-role'] };
const profile = (svc: RunningApp, token: string) =>
  call(svc.url, 'POST', '/user/get-profile', { 'token-key': 'token', 'token-value': token });
const logged = (svc: RunningApp, text: string) => svc.logs.filter((l) => l.includes(text));

describe('an issuer with a path and a trailing slash (https://sso.example/oidc/)', () => {
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startOidcProvider({ issuerPath: '/oidc/' });
  });
  afterAll(() => idp?.close());

  it('is announced with its slash (the control)', async () => {
    const res = await fetch(`${idp.issuer}.well-known/openid-configuration`);
    expect(((await res.json()) as { issuer: string }).issuer).toBe(idp.issuer);
    expect(idp.issuer).toMatch(/\/oidc\/$/);
  });

  it('works written as announced: discovery, get-profile and the bearer routes', async () => {
    const svc = await startApp(
      { ENABLE_OIDC: 'true', OIDC_ISSUER_URL: idp.issuer, OIDC_AUTHORIZED_PARTIES: 'orthanc' },
      { captureLogs: true },
    );
    try {
      const token = await idp.mint(root);
      expect((await profile(svc, token)).body).toMatchObject({ 'user-id': 'u-root', name: 'root' });
      expect((await call(svc.url, 'GET', '/settings/roles', undefined, { auth: `Bearer ${token}` })).status).toBe(200);
      expect(logged(svc, `access tokens must carry the issuer \\"${idp.issuer}\\", exactly`)).toHaveLength(1);
      // Exactly: the issuer without its slash is another one.
      const unslashed = await idp.mint(root, { issuer: idp.issuer.slice(0, -1) });
      expect((await profile(svc, unslashed)).body).toEqual(ANONYMOUS);
    } finally {
      await svc.close();
    }
  });

  /** The user a token of the provider names, through get-profile, with the service configured so. */
  async function userWith(settings: Record<string, string>): Promise<unknown> {
    const svc = await startApp({ ENABLE_OIDC: 'true', OIDC_AUTHORIZED_PARTIES: 'orthanc', ...settings });
    try {
      return (await profile(svc, await idp.mint(root))).body['user-id'];
    } finally {
      await svc.close();
    }
  }

  it('works written without its slash too (one discovery document), the tokens compared with the announced issuer', async () => {
    expect(await userWith({ OIDC_ISSUER_URL: idp.issuer.slice(0, -1) })).toBe('u-root');
  });

  it('as OIDC_ISSUER beside an internal URL, written as announced', async () => {
    const internal = idp.issuer.replace('127.0.0.1', 'localhost');
    expect(await userWith({ OIDC_ISSUER_URL: internal, OIDC_ISSUER: idp.issuer })).toBe('u-root');
  });

  it('another configured issuer: 503, and the discovery error quotes both strings', async () => {
    const configured = idp.issuer.replace('127.0.0.1', 'localhost');
    const svc = await startApp(
      { ENABLE_OIDC: 'true', OIDC_ISSUER_URL: configured, OIDC_AUTHORIZED_PARTIES: 'orthanc' },
      { captureLogs: true },
    );
    try {
      expect((await profile(svc, await idp.mint(root))).status).toBe(503);
      const lines = logged(svc, 'the provider announces the issuer');
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toContain(`the provider announces the issuer \\"${idp.issuer}\\"`);
      expect(lines[0]).toContain(`OIDC_ISSUER_URL (KEYCLOAK_URI) \\"${configured}\\"`);
    } finally {
      await svc.close();
    }
  });
});

describe('an issuer at the root of its host, with its slash (a portal URL)', () => {
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startOidcProvider({ issuerPath: '/' });
  });
  afterAll(() => idp?.close());

  it("accepts the provider's tokens, written with or without the slash", async () => {
    expect(idp.issuer).toMatch(/:\d+\/$/);
    for (const written of [idp.issuer, idp.issuer.slice(0, -1)]) {
      const svc = await startApp({ ENABLE_OIDC: 'true', OIDC_ISSUER_URL: written, OIDC_AUTHORIZED_PARTIES: 'orthanc' });
      try {
        expect({ written, user: (await profile(svc, await idp.mint(root))).body['user-id'] }).toEqual({
          written,
          user: 'u-root',
        });
      } finally {
        await svc.close();
      }
    }
  });
});
