import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';

@ApiTags('operations')
@Controller()
export class HealthController {
  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Liveness', description: 'The process answers (no dependency is checked: see /ready).' })
  @ApiOkResponse({
    description: 'alive',
    schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } },
    example: { status: 'ok' },
  })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
