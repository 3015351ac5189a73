import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Caller } from '@app/common';
import {
  decodeCursor,
  encodeCursor,
  ListSharesQuery,
  RevokeTokenDto,
  SharesService,
  toProtectionView,
  toShareView,
} from '@app/shares';
import type { ShareAccessView, ShareProtectionView, ShareView } from '@app/shares';
import { ERROR_SCHEMA, SHARE_VIEW_SCHEMA, SHARE_WITH_ACCESS_SCHEMA } from '../openapi/answer-schemas';
import { ownerOf, revokedBy, shareScope } from './share-scope';
import { AllowBearer } from '../auth/allow-bearer.decorator';

const SHARE_EXAMPLE = {
  id: '0b6f7c3e-2a51-4d8e-9f1a-6c2b3d4e5f60',
  status: 'active',
  type: 'stone-viewer-publication',
  resources: [{ 'dicom-uid': '1.2.840.113619.2.55.3.1', 'orthanc-id': null, url: null, level: 'study' }],
  creator: { kind: 'basic', name: 'share-user', 'user-id': null },
  'created-at': '2026-11-26T10:00:00.000Z',
  'expires-at': '2026-12-03T10:00:00.000Z',
  'revoked-at': null,
  'revoked-by': null,
  'token-hash': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
};

const ACCESS_EXAMPLE: ShareAccessView = {
  counts: { 'page-open': { ok: 3 }, unlock: { ok: 1, failed: 2 }, 'child-grant': { ok: 1 } },
  'opens-by-day': { '2026-11-26': 3 },
  'first-opened': '2026-11-26T10:05:00.000Z',
  'last-opened': '2026-11-26T18:40:00.000Z',
  recent: [
    {
      at: '2026-11-26T18:40:12.000Z',
      kind: 'unlock',
      outcome: 'ok',
      reason: null,
      'child-id': null,
      'client-address': '203.0.113.7',
      'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)',
    },
  ],
  'recent-limit': 20,
  'retention-days': 90,
};

const DEFAULT_LIMIT = 50;

interface ShareListAnswer {
  limit: number;
  shares: ShareView[];
  'next-cursor': string | null;
  total?: number;
  'total-exact'?: boolean;
}

/**
 * The share registry's admin API: what is shared, and taking a link back. Basic callers see everything; Keycloak
 * users with `share` see and revoke their own shares, with `admin-permissions` everyone's.
 */
@ApiTags('shares')
@ApiResponse({
  status: 503,
  description: 'the share registry is off (ENABLE_SHARES_REGISTRY=false) or cannot answer (database down)',
  schema: ERROR_SCHEMA,
})
@ApiBasicAuth()
@ApiBearerAuth()
@AllowBearer('share')
@Controller('shares')
export class SharesController {
  constructor(private readonly shares: SharesService) {}

  @Get()
  @ApiOperation({
    summary: 'List shares',
    description:
      'Newest first; filters combine (AND). Pages by cursor: repeat the query with cursor=<next-cursor> until ' +
      'next-cursor is null. Each page examines a bounded number of shares, so a page of a rare filter may hold ' +
      'fewer than limit shares (even none) while next-cursor is not null. count=true adds total.',
  })
  @ApiResponse({
    status: 200,
    description: '{limit, shares: [share], next-cursor, total and total-exact with count=true}',
    schema: {
      type: 'object',
      properties: {
        limit: { type: 'integer' },
        shares: { type: 'array', items: SHARE_VIEW_SCHEMA },
        'next-cursor': { type: 'string', nullable: true },
        total: { type: 'integer', description: 'with count=true' },
        'total-exact': { type: 'boolean', description: 'with count=true; false: total is a lower bound' },
      },
    },
    example: { limit: 50, shares: [SHARE_EXAMPLE], 'next-cursor': null },
  })
  @ApiResponse({ status: 400, description: 'a query parameter is invalid (named in message)', schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 403,
    description: 'bearer caller without the share or admin-permissions permission',
    schema: ERROR_SCHEMA,
  })
  async list(@Query() q: ListSharesQuery, @Req() req: { user?: Caller }): Promise<ShareListAnswer> {
    const owner = ownerOf(shareScope(req.user));
    const limit = q.limit ?? DEFAULT_LIMIT;
    const page = await this.shares.list({
      study: q.study,
      orthancId: q['orthanc-id'],
      type: q.type,
      creator: q.creator,
      active: q.active,
      ownerUserId: owner,
      limit,
      before: q.cursor !== undefined ? (decodeCursor(q.cursor) ?? undefined) : undefined,
      count: q.count === true,
    });
    const now = Date.now();
    return {
      limit,
      shares: page.shares.map((s) => toShareView(s, now)),
      'next-cursor': page.next !== null ? encodeCursor(page.next) : null,
      ...(page.total ? { total: page.total.count, 'total-exact': page.total.exact } : {}),
    };
  }

  @Post('revoke-token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke a token by its hash',
    description:
      'Any share token of this service or of the Python orthanc-auth-service (whose links carry no share id).',
  })
  @ApiBody({
    type: RevokeTokenDto,
    examples: {
      token: { summary: 'a token from a link', value: { token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' } },
    },
  })
  @ApiResponse({
    status: 200,
    description: 'the revoked share (a `hash:<sha256>` id when no share was recorded for it)',
    schema: SHARE_VIEW_SCHEMA,
    example: {
      ...SHARE_EXAMPLE,
      status: 'revoked',
      'revoked-at': '2026-11-26T12:00:00.000Z',
      'revoked-by': 'share-user',
    },
  })
  @ApiResponse({
    status: 400,
    description: 'not a share token signed with SECRET_KEY or PREVIOUS_SECRET_KEYS',
    schema: ERROR_SCHEMA,
  })
  @ApiResponse({
    status: 404,
    description: 'bearer caller: the token is not one of their shares',
    schema: ERROR_SCHEMA,
  })
  async revokeToken(@Body() body: RevokeTokenDto, @Req() req: { user?: Caller }): Promise<ShareView> {
    const owner = ownerOf(shareScope(req.user));
    return toShareView(await this.shares.revokeToken(body.token, revokedBy(req.user), owner));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One share, with its protection and its access trail',
    description:
      'protection: how a protected link opens (kind, number of bound addresses, failures, lock; null for an ordinary ' +
      'link; never its hash, code or addresses). access: what happened to a protected link (page opened, unlocks, codes sent, child tokens granted): counts, ' +
      'first and last opening, and the newest events with client address and user agent (personal data).',
  })
  @ApiParam({ name: 'id', description: 'the share id (share_id claim), or hash:<sha256> for a token revoked by hash' })
  @ApiResponse({
    status: 200,
    description: 'the share and its access trail',
    schema: SHARE_WITH_ACCESS_SCHEMA,
    example: { ...SHARE_EXAMPLE, access: ACCESS_EXAMPLE },
  })
  @ApiResponse({ status: 404, description: "no such share (or not one of the bearer caller's)", schema: ERROR_SCHEMA })
  async get(
    @Param('id') id: string,
    @Req() req: { user?: Caller },
  ): Promise<ShareView & { protection: ShareProtectionView | null; access: ShareAccessView }> {
    const share = await this.shares.get(id, ownerOf(shareScope(req.user)));
    return {
      ...toShareView(share),
      protection: toProtectionView(await this.shares.protectionOf(share.id)),
      access: await this.shares.accessOf(share.id),
    };
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke a share',
    description: 'Idempotent: revoking a revoked share answers it unchanged.',
  })
  @ApiParam({ name: 'id', description: 'the share id, or hash:<sha256>' })
  @ApiResponse({
    status: 200,
    description: 'the revoked share',
    schema: SHARE_VIEW_SCHEMA,
    example: {
      ...SHARE_EXAMPLE,
      status: 'revoked',
      'revoked-at': '2026-11-26T12:00:00.000Z',
      'revoked-by': 'share-user',
    },
  })
  @ApiResponse({ status: 404, description: "no such share (or not one of the bearer caller's)", schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 409,
    description: 'a meddream-instant-link: MedDream checks its own tokens, so this service cannot revoke it',
    schema: ERROR_SCHEMA,
  })
  async revoke(@Param('id') id: string, @Req() req: { user?: Caller }): Promise<ShareView> {
    return toShareView(await this.shares.revoke(id, revokedBy(req.user), ownerOf(shareScope(req.user))));
  }
}
