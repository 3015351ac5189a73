import { registerAs } from '@nestjs/config';
import { resolve } from 'node:path';
import { Env, readSetting } from '@app/common';

/** The roles file shipped with the service (resolved from the working folder: the repository or the image's /app). */
export const SHIPPED_PERMISSIONS_FILE = 'config/permissions.json';

export interface PermissionsConfig {
  /** The roles file read at start-up and rewritten by PUT /settings/roles. */
  permissionsFilePath: string;
  /**
   * Set when PERMISSIONS_FILE_PATH is not: the shipped file that seeds `permissionsFilePath` (DATA_DIR/permissions.json)
   * the first time. The shipped file itself is never written (it may sit in a read-only image layer).
   */
  seedFilePath?: string;
  /** ANONYMOUS_PROFILE_FILE_PATH; absent: the built-in profile (Anonymous, nothing granted, validity 60). */
  anonymousProfileFilePath?: string;
}

/**
 * PERMISSIONS_FILE_PATH: when given, that file is read and written in place (it must exist; if it is read-only the
 * service starts anyway and a PUT answers a JSON 500 saying so). When absent, the editable copy lives in
 * DATA_DIR/permissions.json, seeded from the shipped config/permissions.json on first start, so that the roles
 * editor works out of the box. DATA_DIR is resolved exactly as in the core configuration (default ./data).
 */
export function loadPermissionsConfig(env: Env, cwd: string = process.cwd()): PermissionsConfig {
  const explicit = readSetting(env, 'PERMISSIONS_FILE_PATH');
  const anonymous = readSetting(env, 'ANONYMOUS_PROFILE_FILE_PATH');
  const anonymousProfileFilePath = anonymous ? resolve(cwd, anonymous) : undefined;
  if (explicit) return { permissionsFilePath: resolve(cwd, explicit), anonymousProfileFilePath };
  const dataDir = resolve(cwd, readSetting(env, 'DATA_DIR') ?? 'data');
  return {
    permissionsFilePath: resolve(dataDir, 'permissions.json'),
    seedFilePath: resolve(cwd, SHIPPED_PERMISSIONS_FILE),
    anonymousProfileFilePath,
  };
}

/** ConfigModule's `permissions` namespace (`@Inject(permissionsConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const permissionsConfig = registerAs('permissions', (): PermissionsConfig => loadPermissionsConfig(process.env));
