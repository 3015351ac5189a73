import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../config/config-error';

/**
 * The client address of a request: the socket's peer, or, when that peer is one of the trusted reverse proxies
 * (SHARE_TRUSTED_PROXIES: addresses or CIDR ranges), the right-most X-Forwarded-For entry that is not itself a trusted
 * proxy (the left-most when all are). Anyone else's X-Forwarded-For is ignored: a client cannot choose the address its
 * failures are counted under.
 */
export class ClientAddress {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/');
      const family = isIP(address);
      if (!family)
        throw new ConfigError('SHARE_TRUSTED_PROXIES', `expects IP addresses or CIDR ranges, got "${entry}"`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      // split('/') of an address without a prefix has no second element, whatever the destructured type says.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (bits === undefined) {
        this.trusted.addAddress(address, type);
      } else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
          throw new ConfigError('SHARE_TRUSTED_PROXIES', `expects IP addresses or CIDR ranges, got "${entry}"`);
        }
        this.trusted.addSubnet(address, prefix, type);
      }
    }
    this.any = entries.length > 0;
  }

  private isTrusted(address: string): boolean {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && this.trusted.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }

  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    const socket = peer ?? null;
    if (!socket || !this.any || !this.isTrusted(socket)) return socket;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
    const hops = header
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isIP(hops[i])) return socket; // garbage in the chain: count under the proxy itself
      if (!this.isTrusted(hops[i])) return hops[i];
    }
    // Every hop is in a trusted range (a client on the same private network as the proxies): the left-most one, which
    // the outermost proxy wrote (the compose setups' nginx replaces the header with the address it sees).
    return hops.length ? hops[0] : socket;
  }
}

/**
 * The key a per-address limit counts under: an IPv4 address as is (an IPv4-mapped IPv6 one as its IPv4), an IPv6
 * address by its /64 (`2001:db8:1:2::/64`): one subscriber, one LAN, gets a whole /64 and can use any address of it,
 * so counting per IPv6 address would give an attacker 2^64 fresh addresses. Anything else (null, not an address)
 * is returned as given.
 */
export function addressGroup(address: string | null): string | null {
  if (address === null) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  const zoneless = address.split('%')[0];
  if (isIP(zoneless) !== 6) return address;
  return `${expandIPv6(zoneless).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros (an embedded IPv4 tail as two groups). */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}
