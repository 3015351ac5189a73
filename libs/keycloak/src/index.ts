export * from './keycloak.config';
export * from './keycloak-identity';
export * from './keycloak-unavailable';
export * from './keycloak-issuer.service';
export * from './access-token-claims';
export * from './access-token-verifier.service';
export * from './keycloak-admin.client';
export * from './keycloak.module';
