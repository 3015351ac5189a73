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
import { KeycloakIssuerService, keycloakConfig, KeycloakConfig, ProviderReadiness } from '@app/keycloak';
import { permissionsConfig, PermissionsConfig } from '@app/permissions';
import { SharesService } from '@app/shares';

const CHECKS_SCHEMA = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down', 'degraded'] }, message: { type: 'string' } },
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
 * file readable, the share registry's storage reachable (when enabled): 200 `{"status":"ok",...}`, or 503 with the
 * failing check under `error`. The OpenID provider (when enabled) is reported under `oidc` but never fails readiness:
 * share links, which the plugin checks on every access, do not need it, so an outage of the provider must not take
 * the instance out of a load balancer. It is `up`, or `degraded` (user tokens answer 503 meanwhile), from a
 * discovery made at most every few seconds (READINESS_CACHE_MS), so that this public route costs the provider nothing.
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
    description:
      'Configuration, roles file, share registry storage (when enabled); the OpenID provider (when enabled) is reported ' +
      'up or degraded under `oidc` and never makes readiness fail.',
  })
  @ApiResponse({
    status: 200,
    description: 'ready',
    schema: READY_SCHEMA,
    example: {
      status: 'ok',
      info: { config: { status: 'up' }, roles: { status: 'up' }, oidc: { status: 'up' } },
      error: {},
      details: { config: { status: 'up' }, roles: { status: 'up' }, oidc: { status: 'up' } },
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
    if (this.shares?.enabled) {
      const shares = this.shares;
      checks.push(() =>
        this.indicators
          .check('shares')
          .attempt(() => shares.ping())
          .withTimeout(CHECK_TIMEOUT_MS),
      );
    }
    const [result, oidc] = await Promise.all([this.runChecks(checks, reply), this.providerReadiness()]);
    if (oidc) {
      result.info = { ...result.info, oidc };
      result.details = { ...result.details, oidc };
    }
    return result;
  }

  private async runChecks(checks: HealthIndicatorFunction[], reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (err) {
      // Terminus throws the result as a 503: answer it as it is (the generic error shape would hide the failing check).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }

  /** The provider's state (cached by the issuer service), within CHECK_TIMEOUT_MS; undefined when OIDC is off. */
  private async providerReadiness(): Promise<ProviderReadiness | undefined> {
    if (!this.keycloak.enabled) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ProviderReadiness>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'degraded',
            message: `OpenID Connect discovery did not answer within ${CHECK_TIMEOUT_MS} ms`,
          }),
        CHECK_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.issuer.readiness(), late]);
    } finally {
      clearTimeout(timer);
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
