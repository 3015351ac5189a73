import { Module } from '@nestjs/common';
import { coreConfig, CoreConfig } from '@app/common';
import { ShareTokenCodec } from './codec/share-token-codec';
import { TokensService } from './tokens.service';

@Module({
  providers: [
    // The one codec of the process, on the configured signing keys (the share registry revokes tokens with it too).
    {
      provide: ShareTokenCodec,
      inject: [coreConfig.KEY],
      useFactory: (core: CoreConfig) => ShareTokenCodec.fromKeys(core.signingKeys),
    },
    TokensService,
  ],
  exports: [TokensService, ShareTokenCodec],
})
export class TokensModule {}
