import { Global, Module } from '@nestjs/common';
import { MEDDREAM_LINKS } from '@app/tokens';
import { medDreamConfig, MedDreamConfig } from './meddream.config';
import { MedDreamLinksService } from './meddream-links.service';
import { MedDreamTokenClient } from './meddream-token.client';

/**
 * Global, so that TokensService (which injects MEDDREAM_LINKS @Optional) sees it. MEDDREAM_LINKS is undefined when
 * MedDream is not configured: TokensService then answers 400 naming the variables to set.
 */
@Global()
@Module({
  providers: [
    MedDreamTokenClient,
    MedDreamLinksService,
    {
      provide: MEDDREAM_LINKS,
      inject: [medDreamConfig.KEY, MedDreamLinksService],
      useFactory: (config: MedDreamConfig, links: MedDreamLinksService) => (config.enabled ? links : undefined),
    },
  ],
  exports: [MEDDREAM_LINKS, MedDreamTokenClient],
})
export class MedDreamModule {}
