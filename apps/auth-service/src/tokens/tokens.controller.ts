import { Body, Controller, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { AllowBearer } from '@app/common';
import type { Caller } from '@app/common';
import { CreateTokenDto, DecodeTokenDto, TokensService } from '@app/tokens';
import type { CreateTokenAnswer, DecodeAnswer } from '@app/tokens';
import { bearerPermissionForTokenType } from './token-bearer-permission';

/** Creation and decoding; `POST /tokens/validate`, the hot path, is a plain fastify route (validate.route.ts). */
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Creates a share token (and its link) for the resources of the body. */
  @Put(':type')
  @AllowBearer(bearerPermissionForTokenType)
  create(@Param('type') type: string, @Body() body: CreateTokenDto, @Req() req: { user?: Caller }): Promise<CreateTokenAnswer> {
    return this.tokens.create(type, body, req.user ?? null);
  }

  /** What is this token? (OE2's landing page, the plugin's DICOMweb filtering.) */
  @Post('decode')
  @HttpCode(200)
  decode(@Body() body: DecodeTokenDto): Promise<DecodeAnswer> {
    return this.tokens.decode(body);
  }
}
