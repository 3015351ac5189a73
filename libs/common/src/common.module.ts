import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { BasicAuthStrategy } from './auth/basic.strategy';
import { BasicAuthGuard } from './auth/basic-auth.guard';

@Module({
  imports: [PassportModule],
  providers: [BasicAuthStrategy, BasicAuthGuard],
  exports: [BasicAuthGuard],
})
export class CommonModule {}
