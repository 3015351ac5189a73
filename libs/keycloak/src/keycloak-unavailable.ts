import { UnavailableError } from '@app/common';

/**
 * The OpenID provider (discovery, JWKS, token endpoint) or Keycloak's admin API could not be reached or answered
 * nonsense. A domain error of kind `unavailable`: the exception filter answers it 503 JSON and logs it with an error
 * id; the message never carries a token or a secret.
 */
export class KeycloakUnavailableError extends UnavailableError {
  constructor(what: string, cause?: unknown) {
    super(`the OpenID provider is unavailable (${what}); try again later`, {
      cause: cause instanceof Error ? cause : undefined,
    });
  }
}
