import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What a form's answer has to say, carried to the page it redirects to (POST/redirect/GET: reloading or going Back
 * never sends the form again): which message, with its number, signed with SECRET_KEY for this share so that a link
 * made elsewhere cannot put words on the page. `<payload base64url>.<expiry>.<HMAC>`, valid 10 minutes.
 */
export interface Flash {
  /** The message: a key of the page's texts. */
  say:
    | 'wrong-password'
    | 'wrong-code'
    | 'code-expired'
    | 'code-sent'
    | 'rate-limited'
    | 'bad-form'
    | 'email-failed'
    | 'busy';
  /** Attempts left, minutes to wait or the code's validity, as the message needs. */
  n?: number;
  /** code-sent: the recipient it was sent to (index in the link's addresses). */
  to?: number;
  /** The time to come back (epoch seconds) for rate-limited and busy: Retry-After. */
  until?: number;
}

const LIFE_MS = 10 * 60_000;
const SAYS = new Set<Flash['say']>([
  'wrong-password',
  'wrong-code',
  'code-expired',
  'code-sent',
  'rate-limited',
  'bad-form',
  'email-failed',
  'busy',
]);

export function makeFlash(secretKey: string, shareId: string, flash: Flash, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify(flash)).toString('base64url');
  const exp = now + LIFE_MS;
  return `${payload}.${exp}.${mac(secretKey, shareId, payload, exp)}`;
}

/** The flash of a page's URL, or null when absent, expired, altered or made for another share. */
export function readFlash(secretKey: string, shareId: string, value: unknown, now = Date.now()): Flash | null {
  if (typeof value !== 'string' || value.length > 512) return null;
  const [payload, expText, given] = value.split('.');
  const exp = Number(expText);
  if (!payload || !given || !Number.isSafeInteger(exp) || exp <= now || exp > now + LIFE_MS) return null;
  const expected = Buffer.from(mac(secretKey, shareId, payload, exp));
  if (Buffer.byteLength(given) !== expected.length || !timingSafeEqual(Buffer.from(given), expected)) return null;
  try {
    const f = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Flash;
    return SAYS.has(f.say) ? f : null;
  } catch {
    return null;
  }
}

function mac(secretKey: string, shareId: string, payload: string, exp: number): string {
  return createHmac('sha256', secretKey).update(`share-flash\0${shareId}\0${payload}\0${exp}`).digest('base64url');
}
