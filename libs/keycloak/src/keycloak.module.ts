import { Global, Module } from '@nestjs/common';
import { REALM_ROLES_SOURCE } from '@app/permissions';
import { AccessTokenVerifier } from './access-token-verifier.service';
import { KeycloakAdminClient } from './keycloak-admin.client';
import { KeycloakIssuerService } from './keycloak-issuer.service';

/**
 * Keycloak: OIDC discovery, the access-token verifier and the admin REST client. Global so that the roles store
 * (PermissionsModule) can take the admin client as its REALM_ROLES_SOURCE; that binding is null when no admin client
 * is configured (KEYCLOAK_CLIENT_SECRET unset or Keycloak disabled), and the roles editor then serves the file alone.
 */
@Global()
@Module({
  providers: [
    KeycloakIssuerService,
    AccessTokenVerifier,
    KeycloakAdminClient,
    {
      provide: REALM_ROLES_SOURCE,
      useFactory: (admin: KeycloakAdminClient) => (admin.configured ? admin : null),
      inject: [KeycloakAdminClient],
    },
  ],
  exports: [KeycloakIssuerService, AccessTokenVerifier, KeycloakAdminClient, REALM_ROLES_SOURCE],
})
export class KeycloakModule {}
