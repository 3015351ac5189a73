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

  constructor(users: Record<string, string>) {
    for (const [login, password] of Object.entries(users)) this.digests.set(login, this.digest(password));
    this.dummy = this.digest(randomBytes(16).toString('hex'));
  }

  private digest(value: string): Buffer {
    return createHmac('sha256', this.key).update(value, 'utf8').digest();
  }

  check(login: string, password: string): boolean {
    const expected = this.digests.get(login);
    const ok = timingSafeEqual(this.digest(password), expected ?? this.dummy);
    return ok && expected !== undefined;
  }
}
