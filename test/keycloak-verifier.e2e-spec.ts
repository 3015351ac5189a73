import {
  AccessTokenVerifier,
  KeycloakIssuerService,
  KeycloakUnavailableError,
  loadKeycloakConfig,
} from '@app/keycloak';
import type { KeycloakConfig } from '@app/keycloak';
import { startOidcProvider, TestOidcProvider, TestUser } from './support/oidc-provider';

// The verifier by `new`, against a real OpenID provider (oidc-provider, in-process), with a key set that is never
// fresh (max age 0) so that every verification asks the realm: what happens when the realm then goes away.

const doctor: TestUser = { sub: 'u-doctor', preferred_username: 'house', roles: ['doctor-role'] };

function verifierFor(idp: TestOidcProvider): AccessTokenVerifier {
  const config: KeycloakConfig = {
    ...loadKeycloakConfig({
      SECRETS_DIR: '/nonexistent',
      ENABLE_KEYCLOAK: 'true',
      KEYCLOAK_URI: idp.realmUri,
      KEYCLOAK_TIMEOUT: '1000',
    }),
    jwksMaxAgeMs: 0,
  };
  return new AccessTokenVerifier(config, new KeycloakIssuerService(config));
}

describe('AccessTokenVerifier when the realm goes away', () => {
  let idp: TestOidcProvider;
  let verifier: AccessTokenVerifier;
  beforeAll(async () => {
    idp = await startOidcProvider();
    verifier = verifierFor(idp);
  });
  afterAll(() => idp.close());

  it('refetches a stale key set while the realm is up', async () => {
    const before = idp.hitCount('/jwks');
    expect((await verifier.verify(await idp.mint(doctor)))?.userId).toBe('u-doctor');
    expect((await verifier.verify(await idp.mint(doctor)))?.userId).toBe('u-doctor');
    expect(idp.hitCount('/jwks')).toBe(before + 2);
  });

  it('keeps verifying with the keys fetched before, refuses bad tokens, and is unavailable for a never-seen kid', async () => {
    const valid = await idp.mint(doctor);
    const expired = await idp.mint(doctor, { expiresIn: -600 });
    const foreign = await idp.mint(doctor, { key: await TestOidcProvider.foreignKey() });
    await idp.close();
    expect((await verifier.verify(valid))?.userId).toBe('u-doctor');
    expect(await verifier.verify(expired)).toBeNull();
    await expect(verifier.verify(foreign)).rejects.toBeInstanceOf(KeycloakUnavailableError);
  });
});
