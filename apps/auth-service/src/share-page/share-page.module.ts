import { Module } from '@nestjs/common';
import { EmailsModule } from '@app/emails';
import { TokensModule } from '@app/tokens';
import { SharePageController } from './share-page.controller';
import { SharePageService } from './share-page.service';

/** The share page of protected links: its routes (the controller) and its decisions (the service). */
@Module({
  imports: [TokensModule, EmailsModule],
  controllers: [SharePageController],
  providers: [SharePageService],
})
export class SharePageModule {}
