import { addressGroup } from './client-address';

describe('addressGroup: the key a per-address limit counts under', () => {
  it('an IPv4 address as is, an IPv4-mapped one as its IPv4', () => {
    expect(addressGroup('203.0.113.5')).toBe('203.0.113.5');
    expect(addressGroup('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(addressGroup('::FFFF:10.1.2.3')).toBe('10.1.2.3');
  });

  it('an IPv6 address by its /64, whatever its spelling', () => {
    const group = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:a:b:c:d',
      '2001:db8:1:2::203.0.113.5',
      'fe80::1%eth0'.replace('fe80::1', '2001:db8:1:2::9'),
    ]) {
      expect({ address, group: addressGroup(address) }).toEqual({ address, group });
    }
    expect(addressGroup('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  it('null and what is not an address are returned as given', () => {
    expect(addressGroup(null)).toBeNull();
    expect(addressGroup('unix-socket')).toBe('unix-socket');
  });
});
