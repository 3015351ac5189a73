import { ClientAddress } from '../http/client-address';
import { LoginBackoff } from './login-backoff';

describe('LoginBackoff', () => {
  const backoff = () => new LoginBackoff(2000, new ClientAddress([]));

  it('answers the first failures of an address at once, then spaces them by a doubling delay up to the maximum', () => {
    const b = backoff();
    const waits = Array.from({ length: 18 }, () => b.delayFor('198.51.100.7', 0));
    expect(waits).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 150, 350, 750, 1550, 3150, 5150, 7150]);
  });

  it('counts each address (IPv6: each /64) on its own, and forgets an address after ten quiet minutes', () => {
    const b = backoff();
    for (let i = 0; i < 10; i++) b.delayFor('198.51.100.7', 0);
    expect(b.delayFor('198.51.100.7', 0)).toBe(50);
    expect(b.delayFor('198.51.100.8', 0)).toBe(0);
    expect(b.delayFor('198.51.100.7', 11 * 60_000)).toBe(0);
  });

  it('when full, forgets the address whose last failure is the oldest, not the one it met first', () => {
    const b = new LoginBackoff(2000, new ClientAddress([]));
    for (let i = 0; i < 11; i++) b.delayFor('attacker', 0); // its free failures used up
    for (let i = 1; i < 100_000; i++) b.delayFor(`other-${i}`, 1); // the map is full (100,000 addresses)
    expect(b.delayFor('attacker', 2)).toBeGreaterThan(0); // still held back: its failure is now the newest
    b.delayFor('newcomer', 3); // room made: other-1 goes, the attacker stays
    expect(b.size).toBe(100_000);
    expect(b.delayFor('attacker', 4)).toBeGreaterThan(0);
  });

  it('is off with a maximum of 0, and never counts an unknown address', () => {
    const off = new LoginBackoff(0, new ClientAddress([]));
    for (let i = 0; i < 50; i++) expect(off.delayFor('198.51.100.7', 0)).toBe(0);
    const b = backoff();
    for (let i = 0; i < 50; i++) expect(b.delayFor(null, 0)).toBe(0);
  });

  it('groups the request address by /64 behind trusted proxies only', async () => {
    const b = new LoginBackoff(2000, new ClientAddress(['127.0.0.1']));
    const spy = jest.spyOn(b, 'delayFor');
    await b.failed('127.0.0.1', '2001:db8:1:2::77');
    await b.failed('203.0.113.1', '2001:db8:1:2::77');
    expect(spy.mock.calls.map((c) => c[0])).toEqual(['2001:db8:1:2::/64', '203.0.113.1']);
  });
});
