import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CommonModule, MetricsModule } from '@app/common';
import { ReadyController } from './health/ready.controller';
import { MetricsController } from './observability/metrics.controller';
import { RootController } from './health/root.controller';

/** Operations: the root's pointers (GET /), readiness (GET /ready), Prometheus metrics (GET /metrics). */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), MetricsModule, CommonModule],
  controllers: [RootController, ReadyController, MetricsController],
})
export class OpsModule {}
