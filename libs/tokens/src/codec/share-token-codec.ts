import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKeys } from '@app/common';
import { parseIsoDate } from './iso-date';
import { LEVELS, Level, Resource, ShareToken } from '../token-types';

const HEADER_B64 = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const B64URL = /^[A-Za-z0-9_-]*$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes of HMAC-SHA256, unpadded
/** The longest share token verify() reads (and so the longest create() may hand out). */
export const MAX_TOKEN_LENGTH = 64 * 1024;

/** What a signed token says; `protected` and `parentShareId` may be left out (an ordinary link). */
export type ShareTokenFields = Omit<ShareToken, 'expiresAt' | 'protected' | 'parentShareId'> &
  Partial<Pick<ShareToken, 'protected' | 'parentShareId'>>;

/**
 * Share tokens: HS256 JWTs whose payload is the creation request in snake_case, byte-compatible with the Python
 * service (PyJWT). Only HS256 is accepted; the signature is checked in constant time over the exact bytes received,
 * with the current key and then any previous keys.
 */
export class ShareTokenCodec {
  private readonly keys: Buffer[];

  constructor(secretKey: string, previousKeys: readonly string[] = []) {
    this.keys = [secretKey, ...previousKeys].map((k) => Buffer.from(k, 'utf8'));
  }

  sign(token: ShareTokenFields): string {
    const payload = {
      id: token.id,
      resources: token.resources.map((r) => ({
        dicom_uid: r.dicomUid,
        orthanc_id: r.orthancId,
        url: r.url,
        level: r.level,
      })),
      type: token.type,
      expiration_date: token.expirationDate,
      validity_duration: token.validityDuration,
      // Added after the Python fields so that the Python service (which ignores unknown keys) still reads it.
      ...(token.shareId ? { share_id: token.shareId } : {}),
      // Protected links and their children: one more claim each, also ignored by the Python service.
      ...(token.protected ? { protected: true } : {}),
      ...(token.parentShareId ? { parent_share_id: token.parentShareId } : {}),
    };
    const signingInput = `${HEADER_B64}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signingInput}.${this.mac(this.keys[0], signingInput).toString('base64url')}`;
  }

  /**
   * The one way the service and its CLI make a codec: from the signing keys of the configuration (TokensModule
   * provides the result; SharesModule and `npm run shares revoke-token` use it).
   */
  static fromKeys(keys: SigningKeys): ShareTokenCodec {
    return new ShareTokenCodec(keys.current, keys.previous);
  }

  private mac(key: Buffer, signingInput: string): Buffer {
    return createHmac('sha256', key).update(signingInput).digest();
  }

  /** Verifies the signature, then reads the payload. */
  verify(raw: string): { ok: true; token: ShareToken } | { ok: false; error: 'invalid' } {
    const invalid = { ok: false as const, error: 'invalid' as const };
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_TOKEN_LENGTH) return invalid;
    const first = raw.indexOf('.');
    const second = raw.indexOf('.', first + 1);
    if (first <= 0 || second <= first + 1 || raw.indexOf('.', second + 1) !== -1) return invalid;
    const headerB64 = raw.slice(0, first);
    const payloadB64 = raw.slice(first + 1, second);
    const sigB64 = raw.slice(second + 1);
    if (!B64URL.test(headerB64) || !B64URL.test(payloadB64) || !SIGNATURE.test(sigB64)) return invalid;

    const signature = Buffer.from(sigB64, 'base64url');
    if (signature.toString('base64url') !== sigB64) return invalid; // non-canonical trailing bits
    const signingInput = raw.slice(0, second);
    let matched = false;
    for (const key of this.keys) {
      if (timingSafeEqual(this.mac(key, signingInput), signature)) matched = true;
    }
    if (!matched) return invalid;

    const header = parseJsonObject(headerB64);
    if (!header || header.alg !== 'HS256' || 'crit' in header) return invalid;
    if (header.typ !== undefined && header.typ !== 'JWT') return invalid;
    const claims = parseJsonObject(payloadB64);
    if (!claims) return invalid;
    const token = readShareToken(claims);
    return token ? { ok: true, token } : invalid;
  }
}

function parseJsonObject(b64: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function pick(obj: Record<string, unknown>, snake: string, kebab: string): unknown {
  return obj[snake] !== undefined ? obj[snake] : obj[kebab];
}

function optionalString(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : undefined;
}

/** Reads a verified payload (snake_case or kebab-case keys). Anything malformed makes the token invalid. */
function readShareToken(claims: Record<string, unknown>): ShareToken | null {
  const id = optionalString(claims.id);
  if (id === undefined) return null;
  if (typeof claims.type !== 'string') return null;
  const rawResources = claims.resources;
  if (!Array.isArray(rawResources)) return null;
  const resources: Resource[] = [];
  for (const item of rawResources) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return null;
    const r = item as Record<string, unknown>;
    const dicomUid = optionalString(pick(r, 'dicom_uid', 'dicom-uid'));
    const orthancId = optionalString(pick(r, 'orthanc_id', 'orthanc-id'));
    const url = optionalString(r.url);
    const level = r.level;
    if (dicomUid === undefined || orthancId === undefined || url === undefined) return null;
    if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) return null;
    resources.push({ dicomUid, orthancId, url, level: level as Level });
  }
  const expirationDate = optionalString(pick(claims, 'expiration_date', 'expiration-date'));
  if (expirationDate === undefined) return null;
  let expiresAt: Date | null = null;
  if (expirationDate !== null) {
    expiresAt = parseIsoDate(expirationDate);
    if (!expiresAt) return null;
  }
  const duration = pick(claims, 'validity_duration', 'validity-duration');
  if (duration !== undefined && duration !== null && !Number.isInteger(duration)) return null;
  const shareId = optionalString(pick(claims, 'share_id', 'share-id'));
  if (shareId === undefined) return null;
  const isProtected = claims.protected;
  if (isProtected !== undefined && typeof isProtected !== 'boolean') return null;
  const parentShareId = optionalString(claims.parent_share_id);
  if (parentShareId === undefined) return null;
  return {
    id,
    shareId,
    resources,
    type: claims.type,
    expiresAt,
    expirationDate,
    validityDuration: (duration as number | null | undefined) ?? null,
    protected: isProtected === true,
    parentShareId,
  };
}
