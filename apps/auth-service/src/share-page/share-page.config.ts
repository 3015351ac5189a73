import { registerAs } from '@nestjs/config';
import { Env, readSetting } from '@app/common';

export interface SharePageConfig {
  /** Shown on the share page as who shared the images (SHARE_PAGE_ORGANIZATION), e.g. "Radiology, St Mary's". */
  organization?: string;
}

function loadSharePageConfig(env: Env): SharePageConfig {
  const organization = readSetting(env, 'SHARE_PAGE_ORGANIZATION')?.trim();
  return { organization: organization ? organization.slice(0, 200) : undefined };
}

/** ConfigModule's `sharePage` namespace (`@Inject(sharePageConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const sharePageConfig = registerAs('sharePage', (): SharePageConfig => loadSharePageConfig(process.env));
