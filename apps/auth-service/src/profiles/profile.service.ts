import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenVerifier, KeycloakAdminClient, keycloakConfig, KeycloakConfig } from '@app/keycloak';
import type { KeycloakIdentity } from '@app/keycloak';
import { ANONYMOUS_PROFILE, profileFromRoles, RolesStore } from '@app/permissions';
import type { AnonymousProfile } from '@app/permissions';
import { stripBearer } from '@app/tokens';
import { GetProfileDto } from './get-profile.dto';
import { profileValidity, USER_PROFILE_VALIDITY, UserProfileAnswer } from './user-profile';

/** The token-key under which the plugin forwards an api-key header (PROTOCOL.md section 6: exactly this). */
const API_KEY_TOKEN_KEY = 'api-key';

/**
 * Who is this, and what may they do? The OpenID provider's access tokens are verified locally and their roles mapped
 * through the roles configuration (here for get-profile, through `forIdentity` for the bearer routes' passport-jwt);
 * api-keys and user ids are looked up with Keycloak's admin client. Anything that is not a valid user token (none, a
 * share token, a Basic credential, OIDC off) gets the anonymous profile. The provider unreachable: the
 * KeycloakUnavailableError (503) goes through.
 */
@Injectable()
export class ProfileService {
  constructor(
    @Inject(keycloakConfig.KEY) private readonly config: KeycloakConfig,
    private readonly verifier: AccessTokenVerifier,
    private readonly admin: KeycloakAdminClient,
    private readonly roles: RolesStore,
    @Inject(ANONYMOUS_PROFILE) private readonly anonymousProfile: AnonymousProfile,
  ) {}

  async getProfile(dto: GetProfileDto): Promise<UserProfileAnswer | null> {
    const userId = dto['user-id']?.trim();
    if (userId) return this.forUserId(userId);
    const value = (dto['token-value'] ?? '').trim();
    if (!value) return this.anonymous();
    if (dto['token-key'] === API_KEY_TOKEN_KEY) {
      return this.config.enabled && this.config.apiKeys ? this.forApiKey(value) : this.anonymous();
    }
    const token = stripBearer(value).trim();
    return (token && (await this.forAccessToken(token))) || this.anonymous();
  }

  /** The profile of a valid access token of the OpenID provider, or null when it is not one (or OIDC is off). */
  async forAccessToken(token: string): Promise<UserProfileAnswer | null> {
    const identity = await this.verifier.verify(token);
    return identity && this.forIdentity(identity);
  }

  /** The profile of a verified user: their roles mapped through the roles configuration, valid while the token is. */
  forIdentity(identity: KeycloakIdentity): UserProfileAnswer {
    const mapped = profileFromRoles(identity.roles, this.roles.get());
    return {
      name: identity.name,
      permissions: mapped.permissions,
      'authorized-labels': mapped.authorizedLabels,
      validity: profileValidity(identity.expiresAt, Math.floor(Date.now() / 1000)),
      'user-id': identity.userId,
      groups: identity.groups,
    };
  }

  /** The anonymous profile as its file writes it (a field it does not set: null for user-id and groups). */
  anonymous(): UserProfileAnswer {
    const a = this.anonymousProfile;
    return {
      name: a.name,
      permissions: [...a.permissions],
      'authorized-labels': [...a.authorizedLabels],
      validity: a.validity,
      'user-id': a.userId,
      groups: a.groups ? [...a.groups] : null,
    };
  }

  /** The active Keycloak user holding this api-key, with its effective realm roles mapped; null when none. */
  private async forApiKey(apiKey: string): Promise<UserProfileAnswer | null> {
    const user = await this.admin.findUserByApiKey(apiKey);
    if (!user) return null;
    const mapped = profileFromRoles(await this.admin.effectiveRealmRoles(user.id), this.roles.get());
    return {
      name: user.username,
      permissions: mapped.permissions,
      'authorized-labels': mapped.authorizedLabels,
      validity: USER_PROFILE_VALIDITY,
      'user-id': user.id,
      groups: null,
    };
  }

  /** The audit-log name lookup: the user's username and no permissions; null when unknown (or no admin client). */
  private async forUserId(id: string): Promise<UserProfileAnswer | null> {
    if (!this.admin.configured) return null;
    const user = await this.admin.getUser(id);
    if (!user) return null;
    return {
      name: user.username,
      permissions: [],
      'authorized-labels': [],
      validity: USER_PROFILE_VALIDITY,
      // The provider's JSON may omit the id its type declares.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      'user-id': user.id ?? id,
      groups: null,
    };
  }
}
