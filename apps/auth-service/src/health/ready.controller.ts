import { Controller, Get, Inject, Optional, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { open } from 'node:fs/promises';
import { Public } from '@app/common';
import { KeycloakIssuerService, keycloakConfig, KeycloakConfig } from '@app/keycloak';
import { permissionsConfig, PermissionsConfig } from '@app/permissions';
import { SharesService } from '@app/shares';

const CHECKS_SCHEMA = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] }, message: { type: 'string' } },
  },
};
const READY_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    info: CHECKS_SCHEMA,
    error: CHECKS_SCHEMA,
    details: CHECKS_SCHEMA,
  },
};

/** The longest a readiness check may take before it counts as down. */
const CHECK_TIMEOUT_MS = 3000;

/**
 * Readiness: can this instance serve? Configuration loaded (it is, or the process would not be running), the roles
 * file readable, Keycloak's discovery document reachable (when Keycloak is enabled), the share registry's storage
 * reachable (when enabled). 200 `{"status":"ok",...}`, or 503 with the failing check under `error`.
 */
@ApiTags('operations')
@Controller()
export class ReadyController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(permissionsConfig.KEY) private readonly permissions: PermissionsConfig,
    @Inject(keycloakConfig.KEY) private readonly keycloak: KeycloakConfig,
    private readonly issuer: KeycloakIssuerService,
    @Optional() private readonly shares?: SharesService,
  ) {}

  @Public()
  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness',
    description: 'Configuration, roles file, Keycloak discovery (when enabled), share registry storage (when enabled).',
  })
  @ApiResponse({
    status: 200,
    description: 'ready',
    schema: READY_SCHEMA,
    example: {
      status: 'ok',
      info: { config: { status: 'up' }, roles: { status: 'up' } },
      error: {},
      details: { config: { status: 'up' }, roles: { status: 'up' } },
    },
  })
  @ApiResponse({
    status: 503,
    description: 'not ready: the failing check is under `error`',
    schema: READY_SCHEMA,
    example: {
      status: 'error',
      info: { config: { status: 'up' } },
      error: { roles: { status: 'down', message: 'EISDIR: illegal operation on a directory, read' } },
      details: {},
    },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => this.indicators.check('config').up(),
      () =>
        this.indicators
          .check('roles')
          .attempt(() => this.readRolesFile())
          .withTimeout(CHECK_TIMEOUT_MS),
    ];
    if (this.keycloak.enabled) {
      checks.push(() =>
        this.indicators
          .check('keycloak')
          .attempt(() => this.issuer.probe())
          .withTimeout(CHECK_TIMEOUT_MS),
      );
    }
    if (this.shares?.enabled) {
      const shares = this.shares;
      checks.push(() =>
        this.indicators
          .check('shares')
          .attempt(() => shares.ping())
          .withTimeout(CHECK_TIMEOUT_MS),
      );
    }
    try {
      return await this.health.check(checks);
    } catch (err) {
      // Terminus throws the result as a 503: answer it as it is (the generic error shape would hide the failing check).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }

  /** Opens and reads the roles file (a few bytes suffice to prove it is a readable file). */
  private async readRolesFile(): Promise<void> {
    const handle = await open(this.permissions.permissionsFilePath, 'r');
    try {
      await handle.read(Buffer.alloc(16), 0, 16, 0);
    } finally {
      await handle.close();
    }
  }
}
