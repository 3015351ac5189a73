import { Global, Module } from '@nestjs/common';
import { SHARE_REGISTRY, TokensModule } from '@app/tokens';
import type { ShareRegistryHook } from '@app/tokens';
import { SharesService } from './shares.service';

/**
 * Global, so that TokensService finds SHARE_REGISTRY (its optional dependency). With ENABLE_SHARES_REGISTRY=false
 * the token is bound to null: tokens then carry no share_id and validate never looks anything up.
 */
@Global()
@Module({
  // For the share-token codec, the one TokensModule provides (revoking by token checks its signature).
  imports: [TokensModule],
  providers: [
    SharesService,
    // A view of the service rather than the service itself: Nest would otherwise run its lifecycle hooks twice.
    {
      provide: SHARE_REGISTRY,
      inject: [SharesService],
      useFactory: (shares: SharesService): ShareRegistryHook | null =>
        shares.enabled
          ? {
              recordCreated: (share) => shares.recordCreated(share),
              isRevoked: (id, raw) => shares.isRevoked(id, raw),
              childGranted: (parent, child, at) => shares.childGranted(parent, child, at),
            }
          : null,
    },
  ],
  exports: [SharesService, SHARE_REGISTRY],
})
export class SharesModule {}
