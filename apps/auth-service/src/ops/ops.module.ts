import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule, MetricsModule } from '@app/common';
import { ReadyController } from '../health/ready.controller';
import { MetricsController } from './metrics.controller';
import { opsConfig } from './ops.config';

/** Operations: readiness (GET /ready), Prometheus metrics (GET /metrics) and their settings. */
@Module({
  imports: [
    ConfigModule.forFeature(opsConfig),
    TerminusModule.forRoot({ errorLogStyle: 'json' }),
    MetricsModule,
    CommonModule,
  ],
  controllers: [ReadyController, MetricsController],
})
export class OpsModule {}
