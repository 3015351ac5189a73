import { registerAs } from '@nestjs/config';
import { ConfigError, Env, intSetting, urlSetting } from '@app/common';

export interface MedDreamConfig {
  /** True when both URLs are set: MedDream links can be made. */
  enabled: boolean;
  /** Where tokens are asked for, e.g. http://meddream-token-service:8088/v3/generate */
  tokenServiceUrl?: string;
  /** The MedDream viewer as patients reach it; ends with "/". */
  publicRoot?: string;
  /** How long one token request may take (ms). */
  timeoutMs: number;
}

export function loadMedDreamConfig(env: Env): MedDreamConfig {
  const tokenServiceUrl = urlSetting(env, 'MEDDREAM_TOKEN_SERVICE_URL');
  const publicRoot = urlSetting(env, 'PUBLIC_MEDDREAM_ROOT', { directory: true });
  const timeoutMs = intSetting(env, 'MEDDREAM_TIMEOUT', 5000, 100, 120000);
  if (tokenServiceUrl && !publicRoot) {
    throw new ConfigError(
      'PUBLIC_MEDDREAM_ROOT',
      'is required when MEDDREAM_TOKEN_SERVICE_URL is set: the public URL of the MedDream viewer',
    );
  }
  if (publicRoot && !tokenServiceUrl) {
    throw new ConfigError(
      'MEDDREAM_TOKEN_SERVICE_URL',
      'is required when PUBLIC_MEDDREAM_ROOT is set: the URL of the MedDream token service, e.g. http://meddream-token-service:8088/v3/generate',
    );
  }
  return { enabled: Boolean(tokenServiceUrl && publicRoot), tokenServiceUrl, publicRoot, timeoutMs };
}

/** ConfigModule's `meddream` namespace (`@Inject(medDreamConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const medDreamConfig = registerAs('meddream', (): MedDreamConfig => loadMedDreamConfig(process.env));
