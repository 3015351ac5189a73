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
    expect(creds.checkHeader(header('share-user', 'change-me'))).toBe('share-user'); // from the accepted cache
    expect(creds.checkHeader(header('other', 'p:with:colons'))).toBe('other');
    expect(creds.checkHeader(header('share-user', 'wrong'))).toBeNull();
    expect(creds.checkHeader('Bearer abc')).toBeNull();
    expect(creds.checkHeader('Basic !!!')).toBeNull();
    expect(creds.checkHeader(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeNull();
    expect(creds.checkHeader(undefined)).toBeNull();
  });
});
