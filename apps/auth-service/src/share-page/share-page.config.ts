import { configNamespace, enumSetting, Env, readSetting } from '@app/common';

export interface SharePageConfig {
  /** Shown on the share page as who shared the images (SHARE_PAGE_ORGANIZATION), e.g. "Radiology, St Mary's". */
  organization?: string;
  /** The language of code e-mails whose link was created without one (SHARE_PAGE_LANGUAGE, en or fr). */
  language: 'en' | 'fr';
}

export function loadSharePageConfig(env: Env): SharePageConfig {
  const organization = readSetting(env, 'SHARE_PAGE_ORGANIZATION')?.trim();
  return {
    organization: organization ? organization.slice(0, 200) : undefined,
    language: enumSetting(env, 'SHARE_PAGE_LANGUAGE', ['en', 'fr'] as const, 'en'),
  };
}

/** Filled by the application from its one reading of the environment (see configNamespace). */
export const sharePageConfig = configNamespace<SharePageConfig>('sharePage');
