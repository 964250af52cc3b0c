import { isIP } from 'node:net';
import { IpSet, normalizeIp, parseCidr } from '../net/ip.js';

/**
 * IP helpers for `is_ip_addr`, `is_ipv4_addr`, `is_ipv6_addr`, `ip_reverse_name` and
 * `is_ip_in_cidr`, with Rust's `IpAddr` parsing rules: no zone index (`fe80::1%eth0`),
 * no leading zeros in IPv4 octets.
 */

export function ipVersion(s: string): 0 | 4 | 6 {
  if (s.includes('%')) return 0;
  return isIP(s) as 0 | 4 | 6;
}

/** `4.3.2.1` for `1.2.3.4`; the 32 reversed nibbles, dot-separated, for IPv6; '' otherwise. */
export function reverseName(s: string): string {
  const v = ipVersion(s);
  if (v === 4) return s.split('.').reverse().join('.');
  if (v === 6) return [...expandIpv6(s)].reverse().join('.');
  return '';
}

/** The 32 hex digits of a valid IPv6 address. */
function expandIpv6(s: string): string {
  let text = s.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.padStart(4, '0')).join('');
}

const CIDR_CACHE_LIMIT = 256;
const cidrCache = new Map<string, IpSet | null>();

/**
 * Whether `ip` lies in `cidr` (`10.0.0.0/8`, `2001:db8::/32`, or one address). The range
 * is usually a literal, so parsed ranges are cached; a bad range or address is false.
 */
export function ipInCidr(ip: string, cidr: string): boolean {
  let set = cidrCache.get(cidr);
  if (set === undefined) {
    const range = parseCidr(cidr);
    set = range ? new IpSet([range]) : null;
    if (cidrCache.size >= CIDR_CACHE_LIMIT) cidrCache.clear();
    cidrCache.set(cidr, set);
  }
  return set !== null && set.has(normalizeIp(ip));
}
