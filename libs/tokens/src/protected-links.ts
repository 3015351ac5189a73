import { isEmail } from 'class-validator';
import { InvalidInputError } from '@app/common';
import type { ShareProtectionInput } from './share-registry';
import { PUBLICATION_TYPES } from './token-types';

/**
 * The rules of protected links (docs/PROTOCOL.md section 17), in one place: which links may be protected, what they
 * need, what a password and a list of addresses must be. TokensService applies them to a new link and to the copy
 * bound to an e-mail's recipients, with the same words.
 */

/**
 * The types a password or an e-mailed code may protect: the publications opened by a viewer link, that is every
 * publication but MedDream's, whose viewer checks its own tokens with its token service, never with this service.
 */
const PROTECTABLE_TYPES: ReadonlySet<string> = new Set(
  [...PUBLICATION_TYPES].filter((t) => t !== 'meddream-viewer-publication'),
);

/** The languages the share page and its code e-mails speak (the app's texts follow this list). */
export const SHARE_LANGUAGES = ['en', 'fr'] as const;
export type ShareLanguage = (typeof SHARE_LANGUAGES)[number];

/** The most addresses one protected link may be bound to. */
const MAX_BOUND_ADDRESSES = 50;

/** What the service offers that protected links need. */
export interface ProtectionSupport {
  registry: boolean;
  sharePage: boolean;
  /** Codes are e-mailed: without e-mails, a link protected by `email-code` could never be opened. */
  emails: boolean;
  passwordMinLength: number;
}

/** `what` may protect a `type` link on this service; throws a 400 naming `what` otherwise. */
export function assertProtectable(type: string, what: string, support: ProtectionSupport): void {
  if (!PROTECTABLE_TYPES.has(type)) {
    throw new InvalidInputError([
      `${what}: a ${type} link cannot be protected: only publications opened by a viewer link can (${[...PROTECTABLE_TYPES].join(', ')})`,
    ]);
  }
  if (!support.registry) {
    throw new InvalidInputError([
      `${what}: protected links need the share registry, disabled on this service (ENABLE_SHARES_REGISTRY=false)`,
    ]);
  }
  if (!support.sharePage) {
    throw new InvalidInputError([`${what}: protected links need the share page: set PUBLIC_SHARE_PAGE_ROOT`]);
  }
}

/** The addresses of an `email-code` field: a string (separated by ",", ";" or spaces) or an array of them. */
function boundAddresses(value: string | string[]): string[] {
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(/[;,\s]+/));
  const emails = [...new Set(parts.filter(Boolean))];
  if (emails.length === 0) throw new InvalidInputError(['email-code must hold the e-mail address of the recipient']);
  if (emails.length > MAX_BOUND_ADDRESSES) {
    throw new InvalidInputError([`email-code holds more than ${MAX_BOUND_ADDRESSES} addresses`]);
  }
  const bad = emails.find((e) => !isEmail(e));
  if (bad !== undefined) {
    throw new InvalidInputError([`email-code: "${bad.slice(0, 320)}" is not a valid e-mail address`]);
  }
  return emails;
}

/** The protection a creation asks for (`password` or `email-code`), checked; null for an ordinary link. */
export function protectionOf(
  type: string,
  fields: { password?: string | null; emailCode?: string | string[] | null; language?: string | null },
  support: ProtectionSupport,
): ShareProtectionInput | null {
  const password = fields.password ?? null;
  const emailCode = fields.emailCode ?? null;
  if (fields.language && emailCode === null) {
    throw new InvalidInputError(['language: only for a link protected by email-code']);
  }
  if (password === null && emailCode === null) return null;
  if (password !== null && emailCode !== null) {
    throw new InvalidInputError(['give either password or email-code, not both']);
  }
  const what = password !== null ? 'password' : 'email-code';
  assertProtectable(type, what, support);
  if (password !== null) {
    const min = support.passwordMinLength;
    // Characters as people count them (code points), not UTF-16 units.
    // eslint-disable-next-line @typescript-eslint/no-misused-spread
    if ([...password].length < min) {
      throw new InvalidInputError([`password must be at least ${min} characters long (SHARE_PASSWORD_MIN_LENGTH)`]);
    }
    return { kind: 'password', password };
  }
  if (!support.emails) {
    throw new InvalidInputError([
      'email-code: codes are e-mailed, and e-mails are off on this service (ENABLE_EMAILS)',
    ]);
  }
  const language = fields.language ?? null;
  if (language !== null && !(SHARE_LANGUAGES as readonly string[]).includes(language)) {
    throw new InvalidInputError([`language must be one of ${SHARE_LANGUAGES.join(', ')}`]);
  }
  return { kind: 'email-code', emails: boundAddresses(emailCode!), ...(language ? { language } : {}) };
}
