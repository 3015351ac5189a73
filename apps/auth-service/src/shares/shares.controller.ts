import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AllowBearer } from '@app/common';
import type { Caller } from '@app/common';
import { ListSharesQuery, RevokeTokenDto, SharesService, toShareView } from '@app/shares';
import type { ShareView } from '@app/shares';
import { ownerOf, revokedBy, shareScope } from './share-scope';

const DEFAULT_LIMIT = 50;

interface ShareListAnswer {
  total: number;
  limit: number;
  offset: number;
  shares: ShareView[];
}

/**
 * The share registry's admin API: what is shared, and taking a link back. Basic callers see everything; Keycloak
 * users with `share` see and revoke their own shares, with `admin-permissions` everyone's.
 */
@ApiTags('shares')
@ApiBasicAuth()
@ApiBearerAuth()
@AllowBearer('share')
@Controller('shares')
export class SharesController {
  constructor(private readonly shares: SharesService) {}

  @Get()
  @ApiOperation({ summary: 'List shares', description: 'Newest first; filters combine (AND).' })
  @ApiResponse({ status: 200, description: '{total, limit, offset, shares: [share]}' })
  @ApiResponse({ status: 400, description: 'a query parameter is invalid (named in message)' })
  @ApiResponse({ status: 403, description: 'bearer caller without the share or admin-permissions permission' })
  async list(@Query() q: ListSharesQuery, @Req() req: { user?: Caller }): Promise<ShareListAnswer> {
    const owner = ownerOf(shareScope(req.user));
    const limit = q.limit ?? DEFAULT_LIMIT;
    const offset = q.offset ?? 0;
    const page = await this.shares.list({
      study: q.study, orthancId: q['orthanc-id'], type: q.type, creator: q.creator, active: q.active, ownerUserId: owner, limit, offset,
    });
    const now = Date.now();
    return { total: page.total, limit, offset, shares: page.shares.map((s) => toShareView(s, now)) };
  }

  @Post('revoke-token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke a token by its hash',
    description: 'Any share token of this service or of the Python orthanc-auth-service (whose links carry no share id).',
  })
  @ApiResponse({ status: 200, description: 'the revoked share (a `hash:<sha256>` id when no share was recorded for it)' })
  @ApiResponse({ status: 400, description: 'not a share token signed with SECRET_KEY or PREVIOUS_SECRET_KEYS' })
  @ApiResponse({ status: 404, description: 'bearer caller: the token is not one of their shares' })
  async revokeToken(@Body() body: RevokeTokenDto, @Req() req: { user?: Caller }): Promise<ShareView> {
    const owner = ownerOf(shareScope(req.user));
    return toShareView(await this.shares.revokeToken(body.token, revokedBy(req.user), owner));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One share' })
  @ApiParam({ name: 'id', description: 'the share id (share_id claim), or hash:<sha256> for a token revoked by hash' })
  @ApiResponse({ status: 200, description: 'the share' })
  @ApiResponse({ status: 404, description: 'no such share (or not one of the bearer caller\'s)' })
  async get(@Param('id') id: string, @Req() req: { user?: Caller }): Promise<ShareView> {
    return toShareView(await this.shares.get(id, ownerOf(shareScope(req.user))));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a share', description: 'Idempotent: revoking a revoked share answers it unchanged.' })
  @ApiParam({ name: 'id', description: 'the share id, or hash:<sha256>' })
  @ApiResponse({ status: 200, description: 'the revoked share' })
  @ApiResponse({ status: 404, description: 'no such share (or not one of the bearer caller\'s)' })
  async revoke(@Param('id') id: string, @Req() req: { user?: Caller }): Promise<ShareView> {
    return toShareView(await this.shares.revoke(id, revokedBy(req.user), ownerOf(shareScope(req.user))));
  }
}
