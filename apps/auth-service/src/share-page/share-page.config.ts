import { registerAs } from '@nestjs/config';
import { enumSetting, Env, readSetting } from '@app/common';

export interface SharePageConfig {
  /** Shown on the share page as who shared the images (SHARE_PAGE_ORGANIZATION), e.g. "Radiology, St Mary's". */
  organization?: string;
  /** The language of code e-mails whose link was created without one (SHARE_PAGE_LANGUAGE, en or fr). */
  language: 'en' | 'fr';
}

function loadSharePageConfig(env: Env): SharePageConfig {
  const organization = readSetting(env, 'SHARE_PAGE_ORGANIZATION')?.trim();
  return {
    organization: organization ? organization.slice(0, 200) : undefined,
    language: enumSetting(env, 'SHARE_PAGE_LANGUAGE', ['en', 'fr'] as const, 'en'),
  };
}

/** ConfigModule's `sharePage` namespace (`@Inject(sharePageConfig.KEY)`), loaded once at start-up (app.config.ts). */
export const sharePageConfig = registerAs('sharePage', (): SharePageConfig => loadSharePageConfig(process.env));
