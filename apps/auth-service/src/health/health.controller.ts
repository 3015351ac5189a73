import { Controller, Get } from '@nestjs/common';
import { Public } from '@app/common';

@Controller()
export class HealthController {
  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
