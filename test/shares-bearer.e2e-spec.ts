import { call, RunningApp, startApp } from './support/app';
import { startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';
import { createShare, validate } from './support/shares';

/**
 * The admin API for Keycloak users (tokens from a real OpenID provider, roles from the shipped roles file): `share`
 * manages one's own shares only, `admin-permissions` everyone's, anyone else nothing. Basic callers see everything.
 */
const admin: TestUser = { sub: 'u-admin', preferred_username: 'root', roles: ['admin-role'] };
const house: TestUser = { sub: 'u-house', preferred_username: 'house', roles: ['doctor-role'] };
const wilson: TestUser = { sub: 'u-wilson', preferred_username: 'wilson', roles: ['doctor-role'] };
const external: TestUser = { sub: 'u-ext', preferred_username: 'ext', roles: ['external-role'] };

describe('managing shares with a Keycloak bearer token', () => {
  let idp: TestOidcProvider;
  let svc: RunningApp;
  const bearer = async (user: TestUser) => `Bearer ${await idp.mint(user)}`;
  let mine: { token: string; id: string };
  let theirs: { token: string; id: string };
  let basicShare: { token: string; id: string };

  beforeAll(async () => {
    idp = await startOidcProvider();
    svc = await startApp({ ENABLE_KEYCLOAK: 'true', KEYCLOAK_URI: idp.realmUri });
    mine = await createShare(svc.url, { auth: await bearer(house), study: '1.2.3.house' });
    theirs = await createShare(svc.url, { auth: await bearer(wilson), study: '1.2.3.wilson' });
    basicShare = await createShare(svc.url, { study: '1.2.3.basic' });
  });
  afterAll(async () => {
    await svc?.close();
    await idp?.close();
  });

  it('records the Keycloak user as the creator', async () => {
    const res = await call(svc.url, 'GET', `/shares/${mine.id}`);
    expect(res.body.creator).toEqual({ kind: 'bearer', name: 'house', 'user-id': 'u-house' });
  });

  it('a user with "share" lists only their own shares, whatever the filters', async () => {
    const res = await call(svc.url, 'GET', '/shares?limit=500&count=true', undefined, { auth: await bearer(house) });
    expect(res.status).toBe(200);
    expect(res.body.shares.map((s: any) => s.id)).toEqual([mine.id]);
    expect(res.body.total).toBe(1);
    const filtered = await call(svc.url, 'GET', '/shares?study=1.2.3.wilson', undefined, { auth: await bearer(house) });
    expect(filtered.body.shares).toEqual([]);
  });

  it("... cannot see nor revoke another user's share (404, and the link keeps working)", async () => {
    const auth = await bearer(house);
    expect((await call(svc.url, 'GET', `/shares/${theirs.id}`, undefined, { auth })).status).toBe(404);
    expect((await call(svc.url, 'DELETE', `/shares/${theirs.id}`, undefined, { auth })).status).toBe(404);
    expect((await call(svc.url, 'POST', '/shares/revoke-token', { token: theirs.token }, { auth })).status).toBe(404);
    expect(await validate(svc.url, theirs.token, '1.2.3.wilson')).toBe(true);
  });

  it('... revokes their own share', async () => {
    const res = await call(svc.url, 'DELETE', `/shares/${mine.id}`, undefined, { auth: await bearer(house) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'revoked', 'revoked-by': 'bearer:house' });
    expect(await validate(svc.url, mine.token, '1.2.3.house')).toBe(false);
  });

  it("an admin (admin-permissions) sees and revokes everyone's shares", async () => {
    const auth = await bearer(admin);
    const list = await call(svc.url, 'GET', '/shares?limit=500', undefined, { auth });
    expect(list.body.shares.map((s: any) => s.id)).toEqual(expect.arrayContaining([mine.id, theirs.id, basicShare.id]));
    const res = await call(svc.url, 'POST', '/shares/revoke-token', { token: theirs.token }, { auth });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: theirs.id, 'revoked-by': 'bearer:root' });
    expect(await validate(svc.url, theirs.token, '1.2.3.wilson')).toBe(false);
  });

  it('a user without "share" gets a 403 JSON; a bad token a 401', async () => {
    const res = await call(svc.url, 'GET', '/shares', undefined, { auth: await bearer(external) });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    expect(
      (await call(svc.url, 'DELETE', `/shares/${basicShare.id}`, undefined, { auth: await bearer(external) })).status,
    ).toBe(403);
    expect((await call(svc.url, 'GET', '/shares', undefined, { auth: 'Bearer not-a-jwt' })).status).toBe(401);
    expect(await validate(svc.url, basicShare.token, '1.2.3.basic')).toBe(true);
  });
});
