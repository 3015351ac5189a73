// The public surface of @app/keycloak: what the app and the other libs import, by name (knip checks that each is used).
export { keycloakConfig, loadKeycloakConfig } from './keycloak.config';
export type { KeycloakConfig } from './keycloak.config';
export { KeycloakUnavailableError } from './keycloak-unavailable';
export { KeycloakIssuerService } from './keycloak-issuer.service';
export type { ProviderReadiness } from './keycloak-issuer.service';
export type { KeycloakIdentity } from './keycloak-identity';
export { AccessTokenVerifier } from './access-token-verifier.service';
export { KeycloakAdminClient } from './keycloak-admin.client';
export { KeycloakModule } from './keycloak.module';
