import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule, MetricsModule } from '@app/common';
import { ReadyController } from '../health/ready.controller';
import { MetricsController } from './metrics.controller';
import { opsConfig } from './ops.config';
import { RootController } from './root.controller';

/** Operations: the root's pointers (GET /), readiness (GET /ready), Prometheus metrics (GET /metrics), their settings. */
@Module({
  imports: [
    ConfigModule.forFeature(opsConfig),
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    MetricsModule,
    CommonModule,
  ],
  controllers: [RootController, ReadyController, MetricsController],
})
export class OpsModule {}
