import { ServiceUnavailableException } from '@nestjs/common';

/**
 * The OpenID provider (discovery, JWKS, token endpoint) or Keycloak's admin API could not be reached or answered
 * nonsense. Maps to a 503 JSON answer (the filter logs it with an error id); the message never carries a token or a
 * secret.
 */
export class KeycloakUnavailableError extends ServiceUnavailableException {
  constructor(what: string, cause?: unknown) {
    super(`the OpenID provider is unavailable (${what}); try again later`, {
      cause: cause instanceof Error ? cause : undefined,
    });
  }
}
