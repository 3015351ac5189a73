import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The caller logins of USERS, checked in constant time: both sides are reduced to an HMAC under a per-process key
 * (same length, whatever the input), and an unknown login is compared against a dummy so that timing does not
 * tell which logins exist.
 */
export class BasicCredentials {
  private readonly key = randomBytes(32);
  private readonly digests = new Map<string, Buffer>();
  private readonly dummy: Buffer;
  private readonly accepted = new Map<string, string>();

  constructor(users: Record<string, string>) {
    for (const [login, password] of Object.entries(users)) this.digests.set(login, this.digest(password));
    this.dummy = this.digest(randomBytes(16).toString('hex'));
  }

  private digest(value: string): Buffer {
    return createHmac('sha256', this.key).update(value, 'utf8').digest();
  }

  /** The login of a valid `Authorization: Basic ...` header, else null. */
  checkHeader(header: string | undefined): string | null {
    if (!header) return null;
    const cached = this.accepted.get(header);
    if (cached !== undefined) return cached;
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return null;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const login = decoded.slice(0, colon);
    if (!this.check(login, decoded.slice(colon + 1))) return null;
    // Remember a few accepted headers (the plugin sends the same one on every call); refusals are not cached.
    if (this.accepted.size >= 64) this.accepted.clear();
    this.accepted.set(header, login);
    return login;
  }

  check(login: string, password: string): boolean {
    const expected = this.digests.get(login);
    const ok = timingSafeEqual(this.digest(password), expected ?? this.dummy);
    return ok && expected !== undefined;
  }
}
