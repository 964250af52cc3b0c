import type { HostFacts } from '../../net/host.js';
import { formatHost } from '../../net/host.js';

export interface HstsSettings {
  readonly enabled: boolean;
  readonly maxAgeSeconds: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
  /** Redirect plain-HTTP requests to HTTPS (what actually moves users to HTTPS). */
  readonly redirect: boolean;
}

export interface RedirectTarget {
  /** Host and port of an `https://` `http.url`: the public HTTPS address, used as it is. */
  readonly fixedAuthority: string | undefined;
  /** Host name of an `http://` `http.url`: used with the HTTPS listener's port. */
  readonly fixedHostname?: string | undefined;
}

export interface CompiledHsts {
  /** The header value, or undefined when HSTS is off. */
  readonly value: string | undefined;
  readonly redirect: boolean;
  readonly target: RedirectTarget;
}

export const ONE_YEAR_SECONDS = 31_536_000;

export function hstsHeaderValue(s: HstsSettings): string {
  return `max-age=${s.maxAgeSeconds}${s.includeSubDomains ? '; includeSubDomains' : ''}${s.preload ? '; preload' : ''}`;
}

/** Why a preload request would be rejected by hstspreload.org; empty when it would be accepted. */
export function preloadProblems(s: HstsSettings): string[] {
  if (!s.preload) return [];
  const problems: string[] = [];
  if (s.maxAgeSeconds < ONE_YEAR_SECONDS) {
    problems.push(`max-age is ${s.maxAgeSeconds}s but the preload list requires at least ${ONE_YEAR_SECONDS}s (one year)`);
  }
  if (!s.includeSubDomains) problems.push('the preload list requires includeSubDomains');
  return problems;
}

export function compileHsts(s: HstsSettings, target: RedirectTarget): CompiledHsts {
  return {
    value: s.enabled ? hstsHeaderValue(s) : undefined,
    redirect: s.enabled && s.redirect,
    target,
  };
}

/**
 * Browsers ignore HSTS for IP literals (RFC 6797 §8.1), and pinning `localhost` would force
 * HTTPS on every local development port in some browsers, so neither gets the header.
 */
export function hostTakesHsts(host: HostFacts | undefined): boolean {
  if (!host || host.isIpLiteral) return false;
  let known = decided.get(host);
  if (known === undefined) decided.set(host, (known = nameTakesHsts(host)));
  return known;
}

// Parsed hosts are cached and immutable, so the answer is kept per host object.
const decided = new WeakMap<HostFacts, boolean>();

function nameTakesHsts(host: HostFacts): boolean {
  const h = host.hostname.endsWith('.') ? host.hostname.slice(0, -1) : host.hostname;
  // A host whose last label is a number (`127.0.0.1.`, `2130706433`, `0x7f.0.0.1`) is an IPv4
  // address to a browser (WHATWG URL "ends in a number"), so it is treated as one.
  if (/(^|\.)(0x[0-9a-f]*|\d+)$/.test(h)) return false;
  return h !== 'localhost' && !h.endsWith('.localhost');
}

// ACME HTTP-01 validation must reach the plain-HTTP listener (it is how the certificate
// is obtained in the first place), and health probes usually speak plain HTTP.
const REDIRECT_EXEMPT = ['/.well-known/acme-challenge/', '/healthz/'];

/**
 * Only a plain path is exempt: dot segments, percent-encoding or backslashes could make
 * `/healthz/../admin` mean another resource to whatever serves it, so those are redirected.
 */
export function isRedirectExempt(path: string): boolean {
  if (path.includes('..') || path.includes('%') || path.includes('\\') || path.includes('/./')) return false;
  return REDIRECT_EXEMPT.some((p) => path.startsWith(p));
}

export type RedirectDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'redirect'; readonly status: 301 | 308; readonly location: string }
  | { readonly kind: 'bad-host' };

/**
 * The plain-HTTP redirect. 301 keeps GET/HEAD semantics; other methods get 308 so the
 * body and method are preserved instead of turning into a GET (RFC 9110 §15.4.9).
 */
export function redirectDecision(
  hsts: CompiledHsts,
  /** The port the HTTPS listener is bound to, used with the request's host name; omitted when 443. */
  httpsPort: number,
  method: string,
  path: string,
  pathAndQuery: string,
  host: HostFacts | undefined,
  /** A target computed for this request (`http.url` in expression form), instead of the compiled one. */
  target: RedirectTarget = hsts.target,
): RedirectDecision {
  if (!hsts.redirect || isRedirectExempt(path)) return { kind: 'none' };
  let authority = target.fixedAuthority;
  if (authority === undefined) {
    const hostname = target.fixedHostname ?? host?.hostname;
    if (hostname === undefined) return { kind: 'bad-host' };
    authority = formatHost(hostname, httpsPort, 443);
  }
  const status = method === 'GET' || method === 'HEAD' ? 301 : 308;
  return { kind: 'redirect', status, location: `https://${authority}${pathAndQuery.startsWith('/') ? pathAndQuery : '/'}` };
}
