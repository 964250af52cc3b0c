import { isIP, isIPv4 } from 'node:net';

export interface HostFacts {
  /** Lower-cased host name, or the IP literal without brackets. */
  readonly hostname: string;
  readonly port: number | undefined;
  readonly isIpLiteral: boolean;
}

// RFC 3986 reg-name restricted to what DNS names and IP literals use; anything else
// (spaces, `@`, `/`, control characters, percent-encoding) is refused as malformed.
const REG_NAME = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;

// A server sees the same few Host values over and over; parsed facts are immutable. The last
// one is compared first: one string comparison touches less memory than a map lookup.
const parsed = new Map<string, HostFacts | undefined>();
let lastRaw = '';
let lastFacts: HostFacts | undefined;

/** Parses a Host header (or `:authority`); undefined when it is malformed. */
export function parseHost(raw: string | undefined): HostFacts | undefined {
  if (!raw || raw.length > 261) return undefined;
  if (raw === lastRaw) return lastFacts;
  let facts = parsed.get(raw);
  if (facts === undefined && !parsed.has(raw)) {
    const fresh = parseHostUncached(raw);
    facts = fresh === undefined ? undefined : Object.freeze(fresh);
    if (parsed.size >= 1024) parsed.clear();
    parsed.set(raw, facts);
  }
  lastRaw = raw;
  lastFacts = facts;
  return facts;
}

function parseHostUncached(raw: string): HostFacts | undefined {
  let hostPart: string;
  let portPart: string | undefined;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) return undefined;
    hostPart = raw.slice(1, close);
    const rest = raw.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      portPart = rest.slice(1);
    }
    if (isIP(hostPart) !== 6) return undefined;
  } else {
    const colon = raw.lastIndexOf(':');
    hostPart = colon >= 0 ? raw.slice(0, colon) : raw;
    portPart = colon >= 0 ? raw.slice(colon + 1) : undefined;
  }
  let port: number | undefined;
  if (portPart !== undefined) {
    if (!/^\d{1,5}$/.test(portPart)) return undefined;
    port = Number(portPart);
    if (port > 65535) return undefined;
  }
  const hostname = hostPart.toLowerCase();
  // Outside brackets a host cannot be IPv6, so only the cheap IPv4 test is needed.
  const isIpLiteral = raw.startsWith('[') || isIPv4(hostname);
  // The name as sent must be ASCII too: `\u212A` (the Kelvin sign) lower-cases to an ASCII `k`.
  if (!isIpLiteral && !(REG_NAME.test(hostname) && /^[\x21-\x7e]+$/.test(hostPart))) return undefined;
  return { hostname, port, isIpLiteral };
}

export function formatHost(hostname: string, port: number | undefined, defaultPort: number): string {
  const h = isIP(hostname) === 6 ? `[${hostname}]` : hostname;
  return port === undefined || port === defaultPort ? h : `${h}:${port}`;
}
