import { Logger } from '@nestjs/common';
import { DomainError, InvalidInputError, writeFileAtomicAsync } from '@app/common';
import type { RolesConfig } from './role-mapping';
import { RolesConfigError, serializeRolesConfig, validateRolesConfig } from './roles-config';

/** Writes a whole file so that it is never seen half-written (temp file, fsync, rename). Swappable in tests. */
export type AtomicFileWriter = (path: string, content: string) => Promise<void>;

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The roles configuration, held in memory for the profile lookups and kept in one file for the roles editor.
 * A replacement is validated first, then written atomically, and only then swapped in memory; replacements run one
 * after the other, so the file always holds one complete version and memory always matches the file.
 */
export class RolesStore {
  private readonly logger = new Logger(RolesStore.name);
  private current: RolesConfig;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly filePath: string,
    initial: RolesConfig,
    private readonly writer: AtomicFileWriter = writeFileAtomicAsync,
  ) {
    this.current = deepFreeze(structuredClone(initial));
  }

  /** The configuration in force (frozen: replace it with {@link replace}). */
  get(): RolesConfig {
    return this.current;
  }

  /**
   * Replaces the whole configuration. A wrong shape or an unknown permission is a 400 naming the field and changes
   * nothing; a failed write (no space, read-only file) is a JSON 507/500, logged, and changes nothing either.
   */
  replace(next: unknown): Promise<RolesConfig> {
    let validated: RolesConfig;
    try {
      validated = validateRolesConfig(next);
    } catch (err) {
      if (err instanceof RolesConfigError) return Promise.reject(new InvalidInputError([err.message]));
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.persist(validated));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async persist(next: RolesConfig): Promise<RolesConfig> {
    try {
      await this.writer(this.filePath, serializeRolesConfig(next));
    } catch (err) {
      throw this.writeFailure(err);
    }
    this.current = deepFreeze(next);
    this.logger.log(`Roles configuration replaced (${Object.keys(next.roles).length} roles) in ${this.filePath}`);
    return this.current;
  }

  private writeFailure(err: unknown): DomainError {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
    this.logger.error(
      `Could not write the roles file ${this.filePath} (${code}); the configuration in force is unchanged`,
    );
    if (NO_SPACE.has(code)) {
      return new DomainError(
        'storage-full',
        `No space left to write the roles file (${code}); the roles configuration is unchanged`,
        { cause: err },
      );
    }
    return new DomainError(
      'failed',
      `Could not write the roles file ${this.filePath} (${code}); the roles configuration is unchanged. ` +
        'Make the file and its folder writable by the service, or point PERMISSIONS_FILE_PATH to a writable file.',
      { cause: err },
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
