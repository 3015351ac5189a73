import { Body, Controller, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GetProfileDto } from './get-profile.dto';
import { ProfileService } from './profile.service';

@Controller('user')
export class ProfilesController {
  constructor(private readonly profiles: ProfileService) {}

  /**
   * Who is this, and what may they do? Answers the profile, or the JSON literal `null` for an unknown api-key or
   * user id. Sent by hand: Nest would turn a null return value into an empty body, which the plugin takes for a
   * failure.
   */
  @Post('get-profile')
  async getProfile(@Body() body: GetProfileDto, @Res() reply: FastifyReply): Promise<void> {
    const profile = await this.profiles.getProfile(body);
    await reply.status(200).type('application/json; charset=utf-8').send(JSON.stringify(profile));
  }
}
