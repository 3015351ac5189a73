import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a share page's form may be sent after the page was served. */
const FORM_TOKEN_LIFE_MS = 2 * 3600_000;

/**
 * The share page's anti-forgery token: `<expiry>.<HMAC(SECRET_KEY, share id, expiry)>`, a hidden field of each form.
 * A page of another site cannot read it (the same-origin policy), so it cannot post the form on a visitor's behalf.
 */
export function makeFormToken(secretKey: string, shareId: string, now = Date.now()): string {
  const exp = now + FORM_TOKEN_LIFE_MS;
  return `${exp}.${mac(secretKey, shareId, exp)}`;
}

export function checkFormToken(secretKey: string, shareId: string, value: unknown, now = Date.now()): boolean {
  if (typeof value !== 'string' || value.length > 128) return false;
  const dot = value.indexOf('.');
  const exp = Number(value.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(exp) || exp <= now || exp > now + FORM_TOKEN_LIFE_MS) return false;
  const expected = Buffer.from(mac(secretKey, shareId, exp));
  const given = Buffer.from(value.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secretKey: string, shareId: string, exp: number): string {
  return createHmac('sha256', secretKey).update(`share-form\0${shareId}\0${exp}`).digest('base64url');
}
