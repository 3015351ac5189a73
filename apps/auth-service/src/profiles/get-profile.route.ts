import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { asJsonObject, BasicCredentials, CoreConfig, NOT_AN_OBJECT, optionalString } from '@app/common';
import { registerFastPost, Parsed } from '../http/fast-post.route';
import type { GetProfileDto } from './get-profile.dto';
import { ProfileService } from './profile.service';

/** The get-profile body by hand, with GetProfileDto's rules (a spec keeps the two in agreement). */
export function parseGetProfileBody(body: unknown): Parsed<GetProfileDto> {
  const b = asJsonObject(body);
  if (!b) return { ok: false, errors: [NOT_AN_OBJECT] };
  const errors: string[] = [];
  const value: GetProfileDto = {
    'token-key': optionalString(b, 'token-key', 256, errors),
    'token-value': optionalString(b, 'token-value', 65536, errors),
    'server-id': optionalString(b, 'server-id', 1024, errors),
    'user-id': optionalString(b, 'user-id', 256, errors),
  };
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

/**
 * `POST /user/get-profile`: the plugin asks it for every user token its cache does not know, so it is a plain
 * fastify route (registerFastPost). The answer is the profile, or the JSON literal `null` for an unknown api-key or
 * user id (never an empty body, which the plugin would take for a failure).
 */
export function registerGetProfileRoute(
  app: NestFastifyApplication,
  core: CoreConfig,
  credentials: BasicCredentials,
): void {
  const profiles = app.get(ProfileService);
  registerFastPost(app, core, credentials, {
    url: '/user/get-profile',
    parse: parseGetProfileBody,
    handle: (value) => profiles.getProfile(value),
  });
}
