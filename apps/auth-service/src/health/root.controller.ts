import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { coreConfig, CoreConfig, Public } from '@app/common';
import { opsConfig, OpsConfig } from '../ops.config';

export interface RootAnswer {
  service: 'orthanc-auth';
  /** The Swagger UI and the OpenAPI document, when ENABLE_DOCS is on (else null). */
  docs: string | null;
  openapi: string | null;
  health: string;
  ready: string;
}

/** `GET /`: what someone who opens the service's address finds, pointers to its documentation and health routes. */
@ApiTags('operations')
@Controller()
export class RootController {
  private readonly answer: RootAnswer;

  constructor(@Inject(coreConfig.KEY) core: CoreConfig, @Inject(opsConfig.KEY) ops: OpsConfig) {
    const at = (path: string) => `${core.prefix}${path}`;
    this.answer = {
      service: 'orthanc-auth',
      docs: ops.enableDocs ? at('/docs') : null,
      openapi: ops.enableDocs ? at('/docs-json') : null,
      health: at('/health'),
      ready: at('/ready'),
    };
  }

  @Public()
  @Get()
  @ApiOperation({ summary: 'Where to look', description: 'Paths of the API documentation, liveness and readiness.' })
  @ApiOkResponse({
    description: 'the paths (docs and openapi are null with ENABLE_DOCS=false)',
    schema: {
      type: 'object',
      properties: {
        service: { type: 'string', enum: ['orthanc-auth'] },
        docs: { type: 'string', nullable: true },
        openapi: { type: 'string', nullable: true },
        health: { type: 'string' },
        ready: { type: 'string' },
      },
    },
    example: { service: 'orthanc-auth', docs: '/docs', openapi: '/docs-json', health: '/health', ready: '/ready' },
  })
  root(): RootAnswer {
    return this.answer;
  }
}
