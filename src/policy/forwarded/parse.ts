import { isIP } from 'node:net';
import { normalizeIp } from '../../net/ip.js';

export interface ForwardedHop {
  /** The address, normalised; undefined for `unknown`, obfuscated (`_x`) or malformed nodes. */
  readonly ip: string | undefined;
  readonly proto: string | undefined;
}

/** RFC 7239 `Forwarded`: `for=192.0.2.1;proto=https, for="[2001:db8::1]:4711"`. */
export function parseForwarded(header: string): ForwardedHop[] {
  const hops: ForwardedHop[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    let ip: string | undefined;
    let proto: string | undefined;
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim().toLowerCase();
      const value = unquote(pair.slice(eq + 1).trim());
      if (name === 'for') ip = nodeAddress(value);
      else if (name === 'proto') proto = value.toLowerCase();
    }
    hops.push({ ip, proto });
  }
  return hops;
}

/** `X-Forwarded-For: client, proxy1, proxy2`. */
export function parseXForwardedFor(header: string): ForwardedHop[] {
  return header.split(',').map((entry) => ({ ip: nodeAddress(entry.trim()), proto: undefined }));
}

/** A node is `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80` or a bare IPv6. */
function nodeAddress(value: string): string | undefined {
  let v = value;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return undefined;
    v = v.slice(1, close);
  } else if (isIP(v) === 0) {
    const colon = v.lastIndexOf(':');
    if (colon > 0 && v.indexOf(':') === colon) v = v.slice(0, colon);
  }
  return isIP(v) === 0 ? undefined : normalizeIp(v);
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/**
 * Splits on `sep` outside quoted strings, scanning from the right: the rightmost elements are
 * the ones trusted proxies appended, so a quote the client left open on the left cannot swallow
 * them, as it would in a scan from the left. A `"` after an odd run of backslashes is escaped;
 * on a well-formed header this splits exactly as a scan from the left does.
 */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let end = s.length;
  let quoted = false;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s[i];
    if (c === '"' && !isEscaped(s, i)) quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(s.slice(i + 1, end));
      end = i;
    }
  }
  parts.push(s.slice(0, end));
  return parts
    .reverse()
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function isEscaped(s: string, quote: number): boolean {
  let i = quote - 1;
  while (i >= 0 && s[i] === '\\') i--;
  return (quote - 1 - i) % 2 === 1;
}
