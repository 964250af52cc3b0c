import type { IpSet } from '../../net/ip.js';
import { parseForwarded, parseXForwardedFor, type ForwardedHop } from './parse.js';

export interface CompiledForwarded {
  /**
   * off: forwarded headers are ignored. any: Stalwart's behaviour, trusted from every peer.
   * trusted: only from peers in `http.trusted-proxies`, walking the chain past trusted hops.
   */
  readonly mode: 'off' | 'any' | 'trusted';
  readonly trustedProxies: IpSet;
}

export interface ForwardedHeaders {
  readonly forwarded: string | undefined;
  readonly xForwardedFor: string | undefined;
  readonly xForwardedProto: string | undefined;
}

export interface ClientFacts {
  readonly ip: string;
  /** The protocol the client used, when a trusted forwarded header says so. */
  readonly forwardedProto: 'http' | 'https' | undefined;
}

/** Whether the forwarded headers a request from `peerIp` carries are taken at their word. */
export function believesForwarded(c: CompiledForwarded, peerIp: string): boolean {
  return c.mode === 'any' || (c.mode === 'trusted' && c.trustedProxies.has(peerIp));
}

export function resolveClient(peerIp: string, h: ForwardedHeaders, c: CompiledForwarded): ClientFacts {
  if (c.mode === 'off') return { ip: peerIp, forwardedProto: undefined };
  if (c.mode === 'trusted' && !c.trustedProxies.has(peerIp)) return { ip: peerIp, forwardedProto: undefined };
  const hops = h.forwarded ? parseForwarded(h.forwarded) : h.xForwardedFor ? parseXForwardedFor(h.xForwardedFor) : [];
  const protoHeader = h.xForwardedProto?.split(',').map((p) => p.trim().toLowerCase());
  return c.mode === 'any' ? leftmost(peerIp, hops, protoHeader) : walkTrusted(peerIp, hops, protoHeader, c.trustedProxies);
}

/** Stalwart: the first `Forwarded: for=` element, else the leftmost `X-Forwarded-For` entry. */
function leftmost(peerIp: string, hops: ForwardedHop[], protoHeader: string[] | undefined): ClientFacts {
  const first = hops[0];
  return { ip: first?.ip ?? peerIp, forwardedProto: asProto(first?.proto ?? protoHeader?.[0]) };
}

/**
 * Each proxy appends the address it received from, so the rightmost entries are the ones our
 * trusted peers wrote. Walking right to left past trusted hops, the first untrusted address is
 * the client; anything to its left was written by the client itself and proves nothing.
 */
function walkTrusted(peerIp: string, hops: ForwardedHop[], protoHeader: string[] | undefined, trusted: IpSet): ClientFacts {
  let client = peerIp;
  let index = hops.length;
  for (let i = hops.length - 1; i >= 0; i--) {
    const ip = hops[i]!.ip;
    if (ip === undefined) break;
    client = ip;
    index = i;
    if (!trusted.has(ip)) break;
  }
  const hopProto = index < hops.length ? hops[index]!.proto : undefined;
  let proto = hopProto;
  if (proto === undefined && protoHeader && protoHeader.length > 0) {
    proto = protoHeader.length === hops.length && index < hops.length ? protoHeader[index] : protoHeader[protoHeader.length - 1];
  }
  return { ip: client, forwardedProto: asProto(proto) };
}

function asProto(p: string | undefined): 'http' | 'https' | undefined {
  return p === 'https' || p === 'http' ? p : undefined;
}
