import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ERROR_SCHEMA, PROFILE_SCHEMA } from '../ops/openapi-schemas';
import { GetProfileDto } from './get-profile.dto';
import { ProfileService } from './profile.service';

@ApiTags('profiles')
@Controller('user')
export class ProfilesController {
  constructor(private readonly profiles: ProfileService) {}

  /**
   * Who is this, and what may they do? Answers the profile, or the JSON literal `null` for an unknown api-key or
   * user id. Sent by hand: Nest would turn a null return value into an empty body, which the plugin takes for a
   * failure.
   */
  @Post('get-profile')
  @ApiOperation({ summary: 'A user\'s profile', description: 'From a Keycloak access token or api-key (token-key/token-value), anonymous with no token, or by user-id. Always 200.' })
  @ApiBody({
    type: GetProfileDto,
    examples: {
      bearer: { summary: 'a Keycloak user', value: { 'token-key': 'authorization', 'token-value': 'Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...', 'server-id': null } },
      anonymous: { summary: 'no token', value: {} },
      'user-id': { summary: 'a user id (audit log)', value: { 'user-id': 'f3c8a4e2-5b1d-4f0e-9c7a-2d6b8e1f0a93' } },
    },
  })
  @ApiOkResponse({ description: 'the profile, or null', schema: PROFILE_SCHEMA, example: { name: 'Doctor Who', permissions: ['view', 'download', 'share'], 'authorized-labels': ['*'], validity: 60, 'user-id': 'f3c8a4e2-5b1d-4f0e-9c7a-2d6b8e1f0a93', groups: null } })
  @ApiBadRequestResponse({ description: 'the body is invalid (the field is named in message)', schema: ERROR_SCHEMA })
  async getProfile(@Body() body: GetProfileDto, @Res() reply: FastifyReply): Promise<void> {
    const profile = await this.profiles.getProfile(body);
    await reply.status(200).type('application/json; charset=utf-8').send(JSON.stringify(profile));
  }
}
