import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule, MetricsModule } from '@app/common';
import { ReadyController } from '../health/ready.controller';
import { MetricsController } from './metrics.controller';
import { RootController } from './root.controller';

/** Operations: the root's pointers (GET /), readiness (GET /ready), Prometheus metrics (GET /metrics), their settings. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), MetricsModule, CommonModule],
  controllers: [RootController, ReadyController, MetricsController],
})
export class OpsModule {}
