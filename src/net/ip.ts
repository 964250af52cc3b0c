import { BlockList, isIP } from 'node:net';

/** Socket addresses arrive as `::ffff:1.2.3.4` on dual-stack listeners; rules speak of `1.2.3.4`. */
export function normalizeIp(ip: string): string {
  // Without a colon it is IPv4 (or no address at all), which has no letters to lower-case.
  if (ip.indexOf(':') < 0) return ip;
  // Lower-cased first, so `::FFFF:1.2.3.4` is `1.2.3.4` too, and a normalised address stays as it is.
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return lower;
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

/** A dotted-quad IPv4 address as an unsigned 32-bit integer; undefined for anything else. */
export function ipv4ToInt(ip: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

/**
 * An immutable set of ranges. IPv4 ranges are compared as integers here: node's
 * BlockList.check crosses into C++ and allocates on every call (about 1.3 µs), which a
 * per-request check cannot afford. IPv6 ranges use BlockList.
 */
export class IpSet {
  private readonly v4: Float64Array;
  private readonly v6 = new BlockList();
  private readonly hasV6: boolean;
  readonly size: number;

  constructor(cidrs: readonly Cidr[]) {
    const v4: number[] = [];
    let hasV6 = false;
    for (const c of cidrs) {
      if (c.family === 'ipv4') {
        const span = 2 ** (32 - c.prefix);
        const start = Math.floor(ipv4ToInt(c.address)! / span) * span;
        v4.push(start, start + span - 1);
      } else {
        this.v6.addSubnet(c.address, c.prefix, 'ipv6');
        hasV6 = true;
      }
    }
    this.v4 = Float64Array.from(v4);
    this.hasV6 = hasV6;
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    if (this.size === 0) return false;
    const n = ipv4ToInt(ip);
    if (n !== undefined) {
      for (let i = 0; i < this.v4.length; i += 2) if (n >= this.v4[i]! && n <= this.v4[i + 1]!) return true;
      return false;
    }
    return this.hasV6 && isIP(ip) === 6 && this.v6.check(ip, 'ipv6');
  }
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}
