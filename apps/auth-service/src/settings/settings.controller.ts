import { Body, Controller, Get, Inject, Logger, Optional, Put, ServiceUnavailableException } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { REALM_ROLES_SOURCE, reconcileRoles, RolesStore } from '@app/permissions';
import type { RealmRolesSource, RolesConfig } from '@app/permissions';
import { ERROR_SCHEMA, ROLES_CONFIG_SCHEMA } from '../openapi/answer-schemas';
import { AllowBearer } from '../auth/allow-bearer.decorator';

const ROLES_EXAMPLE = {
  roles: {
    'doctor-role': { permissions: ['view', 'download', 'share'], 'authorized-labels': ['*'] },
    'external-role': { permissions: ['view'], 'authorized-labels': ['external'] },
  },
  'available-labels': ['external'],
};

/** The roles configuration edited in OE2 (PROTOCOL.md section 8). Basic-protected by the global guard. */
@ApiTags('settings')
@Controller('settings')
export class SettingsController {
  private readonly logger = new Logger(SettingsController.name);

  constructor(
    private readonly roles: RolesStore,
    @Optional() @Inject(REALM_ROLES_SOURCE) private readonly realm?: RealmRolesSource | null,
  ) {}

  /**
   * The stored configuration; with a Keycloak admin client, reconciled with the realm's roles (missing ones added
   * with empty lists, vanished ones left out) without changing the file. Keycloak unreachable: 503.
   */
  @Get('roles')
  @AllowBearer('admin-permissions')
  @ApiOperation({
    summary: 'The roles configuration',
    description: "With a Keycloak admin client, reconciled with the realm's roles (the file is not changed).",
  })
  @ApiOkResponse({ description: 'the configuration', schema: ROLES_CONFIG_SCHEMA, example: ROLES_EXAMPLE })
  @ApiResponse({
    status: 503,
    description: 'Keycloak could not be reached to list the realm roles',
    schema: ERROR_SCHEMA,
  })
  async get(): Promise<RolesConfig> {
    const stored = this.roles.get();
    if (!this.realm) return stored;
    let realmRoles: string[];
    try {
      realmRoles = await this.realm.listRealmRoles();
    } catch (err) {
      this.logger.warn(`Could not list the Keycloak realm roles: ${err instanceof Error ? err.message : String(err)}`);
      throw new ServiceUnavailableException('Keycloak could not be reached to list the realm roles; try again later');
    }
    return reconcileRoles(stored, realmRoles);
  }

  /** Replaces the whole configuration, on disk and in memory, atomically; answers the stored configuration. */
  @Put('roles')
  @AllowBearer('admin-permissions')
  @ApiOperation({
    summary: 'Replace the roles configuration',
    description: 'Atomically, on disk and in memory; answers the stored configuration.',
  })
  @ApiBody({ schema: ROLES_CONFIG_SCHEMA, examples: { roles: { summary: 'two roles', value: ROLES_EXAMPLE } } })
  @ApiOkResponse({ description: 'the stored configuration', schema: ROLES_CONFIG_SCHEMA, example: ROLES_EXAMPLE })
  @ApiResponse({
    status: 400,
    description: 'the configuration is invalid (the field is named in message)',
    schema: ERROR_SCHEMA,
  })
  put(@Body() body: unknown): Promise<RolesConfig> {
    return this.roles.replace(body);
  }
}
