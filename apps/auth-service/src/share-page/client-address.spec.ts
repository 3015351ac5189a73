import { ClientAddress } from './client-address';

describe('ClientAddress', () => {
  const proxies = new ClientAddress(['10.0.0.0/8', '192.0.2.7']);

  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(new ClientAddress([]).of('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
    expect(proxies.of('203.0.113.5', '198.51.100.1')).toBe('203.0.113.5');
  });

  it('behind a trusted proxy: the right-most entry that is not a trusted proxy', () => {
    expect(proxies.of('192.0.2.7', '198.51.100.1')).toBe('198.51.100.1');
    expect(proxies.of('::ffff:192.0.2.7', 'spoofed-by-client, 198.51.100.1, 10.1.1.1')).toBe('198.51.100.1');
    expect(proxies.of('10.2.3.4', ['1.1.1.1, 198.51.100.9'])).toBe('198.51.100.9');
  });

  it('all hops trusted: the left-most; no or garbled header: the proxy itself', () => {
    expect(proxies.of('10.2.3.4', '10.9.9.9')).toBe('10.9.9.9');
    expect(proxies.of('10.2.3.4', undefined)).toBe('10.2.3.4');
    expect(proxies.of('10.2.3.4', '198.51.100.1, not-an-ip')).toBe('10.2.3.4');
  });

  it('refuses a setting that is not addresses or CIDR ranges, naming it', () => {
    expect(() => new ClientAddress(['nginx'])).toThrow(/SHARE_TRUSTED_PROXIES/);
    expect(() => new ClientAddress(['10.0.0.0/33'])).toThrow(/SHARE_TRUSTED_PROXIES/);
  });
});
