import { BlockList, isIP } from 'node:net';

/** Socket addresses arrive as `::ffff:1.2.3.4` on dual-stack listeners; rules speak of `1.2.3.4`. */
export function normalizeIp(ip: string): string {
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  return ip.toLowerCase();
}

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseCidr(raw: string): Cidr | undefined {
  const [addressPart, prefixPart, extra] = raw.trim().split('/');
  if (extra !== undefined || !addressPart) return undefined;
  const address = normalizeIp(addressPart);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (prefixPart !== undefined) {
    if (!/^\d{1,3}$/.test(prefixPart)) return undefined;
    prefix = Number(prefixPart);
    if (prefix > max) return undefined;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** An immutable set of ranges with an O(ranges) membership test on normalised addresses. */
export class IpSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly Cidr[]) {
    for (const c of cidrs) this.list.addSubnet(c.address, c.prefix, c.family);
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    if (this.size === 0) return false;
    const version = isIP(ip);
    if (version === 0) return false;
    return this.list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}
