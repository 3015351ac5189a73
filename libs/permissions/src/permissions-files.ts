import { Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, writeFileAtomic } from '@app/common';
import { AnonymousProfile, DEFAULT_ANONYMOUS_PROFILE, validateAnonymousProfile } from './anonymous-profile';
import { JsoncSyntaxError, parseJsonc } from './jsonc';
import type { PermissionsConfig } from './permissions.config';
import type { RolesConfig } from './role-mapping';
import { RolesConfigError, validateRolesConfig } from './roles-config';

const logger = new Logger('PermissionsFiles');

function readText(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(variable, `points to ${path}, which does not exist`);
    throw new ConfigError(variable, `points to ${path}, which cannot be read (${code ?? String(err)})`);
  }
}

function parseFile(variable: string, path: string, text: string): unknown {
  try {
    return parseJsonc(text);
  } catch (err) {
    if (err instanceof JsoncSyntaxError) {
      throw new ConfigError(variable, `points to ${path}, which is not valid JSON: ${err.message}`);
    }
    throw err;
  }
}

/** Parses the text of a roles file; a syntax error or a wrong/unknown entry is a ConfigError naming the file. */
export function parseRolesFile(text: string, path: string, variable = 'PERMISSIONS_FILE_PATH'): RolesConfig {
  const value = parseFile(variable, path, text);
  try {
    return validateRolesConfig(value);
  } catch (err) {
    if (err instanceof RolesConfigError) throw new ConfigError(variable, `points to ${path}, whose ${err.message}`);
    throw err;
  }
}

/**
 * The roles configuration at start-up. Without PERMISSIONS_FILE_PATH the editable copy in DATA_DIR is created from
 * the shipped file the first time (verbatim, comments kept); if it cannot be created the shipped content is served
 * and the failure is logged (a later PUT then answers a JSON 5xx): the service still starts.
 */
export function loadRolesFile(config: PermissionsConfig): RolesConfig {
  const path = config.permissionsFilePath;
  if (config.seedFilePath && !existsSync(path)) {
    const seedText = readText('PERMISSIONS_FILE_PATH', config.seedFilePath);
    const seeded = parseRolesFile(seedText, config.seedFilePath);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, seedText);
      logger.log(`Roles configuration: created ${path} from ${config.seedFilePath}`);
    } catch (err) {
      logger.warn(
        `Roles configuration: could not create ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
          `serving ${config.seedFilePath}; PUT /settings/roles will fail until DATA_DIR is writable or PERMISSIONS_FILE_PATH is set`,
      );
      return seeded;
    }
    return seeded;
  }
  return parseRolesFile(readText('PERMISSIONS_FILE_PATH', path), path);
}

/** The anonymous profile: the file of ANONYMOUS_PROFILE_FILE_PATH, checked, or the built-in one. */
export function loadAnonymousProfile(config: Pick<PermissionsConfig, 'anonymousProfileFilePath'>): AnonymousProfile {
  const path = config.anonymousProfileFilePath;
  if (!path) return { ...DEFAULT_ANONYMOUS_PROFILE, permissions: [], authorizedLabels: [] };
  const value = parseFile('ANONYMOUS_PROFILE_FILE_PATH', path, readText('ANONYMOUS_PROFILE_FILE_PATH', path));
  try {
    return validateAnonymousProfile(value);
  } catch (err) {
    throw new ConfigError('ANONYMOUS_PROFILE_FILE_PATH', `points to ${path}, whose ${(err as Error).message}`);
  }
}
