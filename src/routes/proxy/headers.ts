import type { IncomingHttpHeaders } from 'node:http';

/**
 * Connection-specific fields (RFC 9110 §7.6.1, RFC 9113 §8.2.2): they describe one hop and
 * are never passed on, in either direction. `proxy-connection` is a pre-standard alias some
 * clients still send.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Set by Parapet for the upstream, whatever the client sent. */
const REWRITTEN_REQUEST = new Set(['host', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);

/** What the upstream is told about the request it did not see arrive. */
export interface ForwardingFacts {
  /** The socket peer that sent the request to Parapet. */
  readonly peerIp: string;
  /**
   * Whether Parapet believed the forwarded headers the request carried (`http.use-x-forwarded`,
   * from a trusted proxy when `http.trusted-proxies` is set): then the chain they describe is
   * kept and the peer appended to it, as a proxy in the chain does. Otherwise they are the
   * client's own claims and are replaced.
   */
  readonly believed: boolean;
  /** Whether the client reached Parapet over HTTPS (directly or by a believed proxy's word). */
  readonly secure: boolean;
  /** The request's `Host` (or `:authority`) as sent. */
  readonly host: string | undefined;
}

export interface UpstreamRequestOptions {
  /** Send the client's Host (default) rather than the upstream's own. */
  readonly preserveHost: boolean;
  /** `host:port` of the upstream, as its URL gives it. */
  readonly upstreamHost: string;
}

/**
 * The header list (flat name/value pairs) Parapet sends upstream for a request whose headers
 * arrived as `raw` (node's `rawHeaders`: every field, in order, pseudo-headers included on
 * HTTP/2): hop-by-hop fields and the ones `Connection` names dropped, `Host` set, and the
 * forwarding fields (`Forwarded`, `X-Forwarded-For/-Proto/-Host`) written from what Parapet
 * itself resolved.
 */
export function upstreamRequestHeaders(raw: readonly string[], facts: ForwardingFacts, opts: UpstreamRequestOptions): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  let forwarded: string | undefined;
  let xForwardedFor: string | undefined;
  let xForwardedHost: string | undefined;
  let xForwardedProto: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    if (REWRITTEN_REQUEST.has(lower)) {
      if (lower === 'forwarded') forwarded = joinField(forwarded, value);
      else if (lower === 'x-forwarded-for') xForwardedFor = joinField(xForwardedFor, value);
      else if (lower === 'x-forwarded-host') xForwardedHost ??= value;
      else if (lower === 'x-forwarded-proto') xForwardedProto ??= value;
      continue;
    }
    out.push(name, value);
  }
  const proto = facts.secure ? 'https' : 'http';
  const host = facts.host ?? opts.upstreamHost;
  out.push('host', opts.preserveHost && facts.host !== undefined ? facts.host : opts.upstreamHost);
  const element = forwardedElement(facts.peerIp, proto, host);
  if (facts.believed) {
    out.push('forwarded', forwarded ? `${forwarded}, ${element}` : element);
    out.push('x-forwarded-for', xForwardedFor ? `${xForwardedFor}, ${facts.peerIp}` : facts.peerIp);
    out.push('x-forwarded-proto', xForwardedProto?.split(',')[0]?.trim() || proto);
    out.push('x-forwarded-host', xForwardedHost?.split(',')[0]?.trim() || host);
  } else {
    out.push('forwarded', element);
    out.push('x-forwarded-for', facts.peerIp);
    out.push('x-forwarded-proto', proto);
    out.push('x-forwarded-host', host);
  }
  return out;
}

/**
 * The upstream's response headers as Parapet passes them on (flat pairs): hop-by-hop fields
 * dropped, and so are the ones Parapet manages (`manages`: HSTS, CORS, `http.headers`), whose
 * values come from the policy instead — never both, never `*, *`.
 */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders, manages: (name: string) => boolean): string[] {
  const connection = headers.connection;
  const listed = connection ? tokenSet(Array.isArray(connection) ? connection.join(',') : connection) : undefined;
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) || manages(lower)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(lower, v);
    else out.push(lower, value);
  }
  return out;
}

/** RFC 7239 §4: `for`, `proto` and `host` of one hop; IPv6 and ports need a quoted-string. */
export function forwardedElement(ip: string, proto: 'http' | 'https', host: string | undefined): string {
  const forPart = ip.includes(':') ? `"[${ip}]"` : ip;
  const parts = [`for=${forPart}`, `proto=${proto}`];
  if (host !== undefined) parts.push(`host=${TOKEN.test(host) ? host : quote(host)}`);
  return parts.join(';');
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;
const NONE: ReadonlySet<string> = new Set();

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function joinField(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      tokens ??= new Set();
      for (const t of tokenSet(raw[i + 1]!)) tokens.add(t);
    }
  }
  return tokens;
}

function tokenSet(value: string): ReadonlySet<string> {
  // The common values name nothing beyond the hop-by-hop fields already dropped.
  if (PLAIN_CONNECTION.test(value)) return NONE;
  return new Set(
    value
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0),
  );
}
