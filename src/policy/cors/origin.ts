// Origin parsing and matching. Patterns compile to plain string comparisons: no user
// regular expressions, so no pattern can be slow or match more than it says.
import { isIP } from 'node:net';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };
const ORIGIN = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  /** Empty for the scheme's default port. */
  readonly port: string;
}

/** An origin as browsers serialise it; undefined for anything else (paths, userinfo, `null`). */
export function parseOrigin(raw: string): ParsedOrigin | undefined {
  if (raw.length > 300) return undefined;
  const m = ORIGIN.exec(raw);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  let port = m[3] === undefined ? '' : String(Number(m[3]));
  if (Number(port) > 65535) return undefined;
  if (port === DEFAULT_PORTS[scheme]) port = '';
  return { scheme, host, port };
}

export const serializeOrigin = (o: ParsedOrigin): string => `${o.scheme}://${o.host}${o.port ? `:${o.port}` : ''}`;

export interface SubdomainPattern {
  readonly scheme: string;
  /** `.example.org` for `https://*.example.org`. */
  readonly suffix: string;
  readonly port: string;
}

export type OriginEntry =
  | { readonly ok: true; readonly kind: 'exact'; readonly origin: string }
  | { readonly ok: true; readonly kind: 'pattern'; readonly pattern: SubdomainPattern }
  | { readonly ok: false; readonly message: string };

/** An `http.cors.allowed-origins` entry: `https://admin.example.com` or `https://*.example.org`. */
export function parseOriginEntry(entry: string): OriginEntry {
  const e = entry.trim();
  if (e.toLowerCase() === 'null') {
    return { ok: false, message: '`null` is the origin of sandboxed frames and local files, which any page can produce; it is never allowed' };
  }
  if (e === '*') return { ok: false, message: '`*` allows every origin: set `http.permissive-cors = true` instead of listing it' };
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(e);
  if (!scheme) return { ok: false, message: `\`${e}\` has no scheme; write it as a browser sends it, e.g. \`https://${e.replace(/^\/+/, '')}\`` };
  const rest = e.slice(scheme[0].length);
  if (/[/?#]/.test(rest)) {
    return { ok: false, message: `\`${e}\` has a path, query or fragment; an origin is only scheme://host[:port], e.g. \`${scheme[0]}${rest.split(/[/?#]/)[0]}\`` };
  }
  if (rest.includes('*')) {
    if (!rest.startsWith('*.') || rest.indexOf('*', 1) >= 0) {
      return { ok: false, message: `\`${e}\` has \`*\` inside the host; only a leading \`*.\` (any subdomain) is accepted, e.g. \`${scheme[0]}*.example.org\`` };
    }
    const parsed = parseOrigin(`${scheme[0]}x${rest.slice(1)}`);
    const domain = parsed ? parsed.host.slice(2) : '';
    if (!parsed || !validDomain(domain) || !domain.includes('.') || endsInANumber(domain)) {
      return { ok: false, message: `\`${e}\` is not a valid subdomain pattern; expected \`scheme://*.domain.tld[:port]\`` };
    }
    return { ok: true, kind: 'pattern', pattern: { scheme: parsed.scheme, suffix: parsed.host.slice(1), port: parsed.port } };
  }
  const parsed = parseOrigin(e);
  if (!parsed || (!parsed.host.startsWith('[') && !validDomain(parsed.host))) {
    return { ok: false, message: `\`${e}\` is not a valid origin; expected scheme://host[:port]` };
  }
  if (endsInANumber(parsed.host) && isIP(parsed.host) !== 4) {
    return { ok: false, message: `\`${e}\` ends in a number but is not an IPv4 address such as \`127.0.0.1\`; no browser sends that host, so it would never match` };
  }
  return { ok: true, kind: 'exact', origin: serializeOrigin(parsed) };
}

/**
 * Browsers parse a host whose last label is a number as IPv4 (WHATWG URL, "ends in a number"):
 * `http://127.1` becomes `http://127.0.0.1` and `https://x.1` is no URL at all. An entry
 * written that way can never equal an Origin a browser sends, so it is refused rather than
 * kept as a silent never-match. https://url.spec.whatwg.org/#ends-in-a-number-checker
 */
function endsInANumber(host: string): boolean {
  const labels = host.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop();
  const last = labels[labels.length - 1]!;
  return /^\d+$/.test(last) || /^0x[0-9a-f]*$/.test(last);
}

function validDomain(host: string): boolean {
  return host.split('.').every((l) => LABEL.test(l));
}

export class OriginMatcher {
  private readonly exact: ReadonlySet<string>;
  constructor(exact: readonly string[], private readonly patterns: readonly SubdomainPattern[]) {
    this.exact = new Set(exact);
  }

  /** Whether a request's Origin header is allowed. `null` and malformed values never are. */
  matches(originHeader: string): boolean {
    const o = parseOrigin(originHeader);
    if (!o) return false;
    if (this.exact.has(serializeOrigin(o))) return true;
    for (const p of this.patterns) {
      if (p.scheme === o.scheme && p.port === o.port && o.host.length > p.suffix.length && o.host.endsWith(p.suffix)) {
        const label = o.host.slice(0, o.host.length - p.suffix.length);
        if (label.split('.').every((l) => LABEL.test(l))) return true;
      }
    }
    return false;
  }
}
