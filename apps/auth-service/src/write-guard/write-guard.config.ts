import { ConfigError, CoreConfig, Env, intSetting, readSetting } from '@app/common';

export interface WriteGuardConfig {
  /** WRITE_GUARD_PORT: the port of the write guard's own listener; undefined: no write guard (the default). */
  port?: number;
  /** WRITE_GUARD_HOST: the address it listens on (default 127.0.0.1: a reverse proxy on the same host). */
  host: string;
}

/**
 * The write guard (docs/PROTOCOL.md section 12) is served on a listener of its own, without credentials, for the
 * reverse proxy's auth_request subrequests only: off unless WRITE_GUARD_PORT is set, on 127.0.0.1 unless
 * WRITE_GUARD_HOST says otherwise (0.0.0.0 in a container whose proxy is another container). It must not be PORT.
 */
export function loadWriteGuardConfig(env: Env, core: Pick<CoreConfig, 'port'>): WriteGuardConfig {
  const host = readSetting(env, 'WRITE_GUARD_HOST') ?? '127.0.0.1';
  if (readSetting(env, 'WRITE_GUARD_PORT') === undefined) return { host };
  const port = intSetting(env, 'WRITE_GUARD_PORT', 0, 0, 65535);
  if (port !== 0 && port === core.port) {
    throw new ConfigError(
      'WRITE_GUARD_PORT',
      `must differ from PORT (${core.port}): the write guard has a listener of its own, for the reverse proxy only`,
    );
  }
  return { port, host };
}
