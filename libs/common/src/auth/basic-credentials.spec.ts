import { BasicCredentials } from './basic-credentials';

const header = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

describe('BasicCredentials', () => {
  const creds = new BasicCredentials({ 'share-user': 'change-me', other: 'p:with:colons' });

  it('accepts the configured logins only', () => {
    expect(creds.check('share-user', 'change-me')).toBe(true);
    expect(creds.check('share-user', 'change-me ')).toBe(false);
    expect(creds.check('nobody', 'change-me')).toBe(false);
    expect(creds.check('other', 'p:with:colons')).toBe(true);
  });

  it('reads Authorization headers, passwords with colons included', () => {
    expect(creds.checkHeader(header('share-user', 'change-me'))).toBe('share-user');
    expect(creds.checkHeader(header('other', 'p:with:colons'))).toBe('other');
    expect(creds.checkHeader(header('share-user', 'wrong'))).toBeNull();
    expect(creds.checkHeader('Bearer abc')).toBeNull();
    expect(creds.checkHeader('Basic !!!')).toBeNull();
    expect(creds.checkHeader(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeNull();
    expect(creds.checkHeader(undefined)).toBeNull();
  });

  describe('the cache of accepted headers', () => {
    /** The password hashes (HMAC digests) computed, i.e. fresh checks: a cache hit computes none. */
    const hashes = (fresh: BasicCredentials) => jest.spyOn(fresh as unknown as { digest(v: string): Buffer }, 'digest');

    it('answers a header it accepted before without checking the password again', () => {
      const fresh = new BasicCredentials({ 'share-user': 'change-me' });
      const digest = hashes(fresh);
      expect(fresh.checkHeader(header('share-user', 'change-me'))).toBe('share-user');
      expect(digest).toHaveBeenCalledTimes(1);
      expect(fresh.checkHeader(header('share-user', 'change-me'))).toBe('share-user');
      expect(fresh.checkHeader(header('share-user', 'change-me'))).toBe('share-user');
      expect(digest).toHaveBeenCalledTimes(1); // two hits: no hash computed
    });

    it('never remembers a refusal: a wrong password is checked afresh each time', () => {
      const fresh = new BasicCredentials({ 'share-user': 'change-me' });
      const digest = hashes(fresh);
      expect(fresh.checkHeader(header('share-user', 'wrong'))).toBeNull();
      expect(fresh.checkHeader(header('share-user', 'wrong'))).toBeNull();
      expect(digest).toHaveBeenCalledTimes(2);
    });

    it('holds at most 64 headers: past them it starts again, and a forgotten header is checked afresh', () => {
      const users = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`user-${i}`, `password-${i}`]));
      const fresh = new BasicCredentials(users);
      const digest = hashes(fresh);
      for (let i = 0; i < 64; i++) expect(fresh.checkHeader(header(`user-${i}`, `password-${i}`))).toBe(`user-${i}`);
      expect(fresh.checkHeader(header('user-0', 'password-0'))).toBe('user-0');
      expect(digest).toHaveBeenCalledTimes(64); // all 64 remembered
      expect(fresh.checkHeader(header('user-64', 'password-64'))).toBe('user-64'); // the 65th: the cache is cleared
      expect(fresh.checkHeader(header('user-0', 'password-0'))).toBe('user-0');
      expect(digest).toHaveBeenCalledTimes(66);
    });
  });
});
