import { Controller, Get, Inject, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BasicCredentials, LoginBackoff, MetricsService, Public } from '@app/common';
import { ERROR_SCHEMA } from '../openapi/answer-schemas';
import { opsConfig, OpsConfig } from '../ops.config';

/**
 * Prometheus metrics. Basic-protected like every route unless METRICS_PUBLIC=true: marked @Public for the global
 * guard, because whether it is public is a setting, and checked here instead, with the service's one BasicCredentials.
 */
@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(opsConfig.KEY) private readonly ops: OpsConfig,
    private readonly credentials: BasicCredentials,
    private readonly backoff: LoginBackoff,
  ) {}

  @Public()
  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Text exposition format. Basic credentials unless METRICS_PUBLIC=true.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({
    status: 200,
    description: 'the metrics',
    schema: { type: 'string' },
    example: 'orthanc_auth_token_validations_total{decision="granted",reason=""} 42',
  })
  @ApiResponse({
    status: 401,
    description: 'no or wrong Basic credentials (unless METRICS_PUBLIC=true)',
    // JSON, as every error answer (the route's text/plain is the metrics' only).
    content: { 'application/json': { schema: ERROR_SCHEMA } },
  })
  async scrape(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    if (!this.ops.metricsPublic && !this.credentials.checkHeader(header)) {
      if (header) await this.backoff.failed(request.socket.remoteAddress, request.headers['x-forwarded-for']);
      throw new UnauthorizedException();
    }
    const { contentType, text } = await this.metrics.exposition();
    await reply.status(200).header('content-type', contentType).send(text);
  }
}
