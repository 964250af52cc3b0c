// `parapet explain`: what Parapet would answer to one request, and which config key caused
// each response header. Pure: no sockets, no clock.
//
// The answer comes from the server's own decision function (`decide`, which the request
// pipeline calls on every request), not from a second reading of the rules, so an
// explanation is what the server sends. This module only adds the provenance of each header.
import { normalizeIp } from '../net/ip.js';
import type { PreflightAnswer } from './cors/index.js';
import { webAdminAssets } from '../admin/web/assets.js';
import { decide, isSecure, requestClient, responseHeaderList, transportOf, type RequestFacts, type Step } from './decide.js';
import { parseHost } from '../net/host.js';
import { decisionHeadersOf } from '../net/request-headers.js';
import { Transport, type CompiledPolicy } from './index.js';
import type { RateCounter } from './ratelimit/index.js';
import type { RouteSettings } from '../config/routes.js';

export interface ExplainRequest {
  readonly method: string;
  /** Path, with the query if any: `/api/x?y=1`. */
  readonly path: string;
  readonly origin?: string | undefined;
  /** The address the connection comes from (a proxy's, when there is one). */
  readonly ip: string;
  /** The scheme of the connection to Parapet. */
  readonly scheme: 'http' | 'https';
  /** `Host`; default: the host of `http.url`, else `server.hostname`. */
  readonly host?: string | undefined;
  /** Other request headers, `Access-Control-Request-*` and forwarded ones included. */
  readonly headers?: readonly (readonly [string, string])[];
  /** Whether the listener terminates TLS itself; default: `scheme === 'https'`. */
  readonly listenerTls?: boolean;
  /** Where plain HTTP is redirected; default: the first TLS listener's port, else 443. */
  readonly httpsPort?: number;
  /** Whether the server has finished starting (`/healthz/ready`); default true. */
  readonly ready?: boolean;
}

export interface ExplainedHeader {
  readonly name: string;
  readonly value: string;
  /** The config keys behind the header, the one that produced it first; empty for protocol headers. */
  readonly keys: readonly string[];
  readonly why: string;
}

export interface Explanation {
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly host: string | undefined;
    readonly origin: string | undefined;
    readonly clientIp: string;
    /** Whether Parapet treats the request as HTTPS (TLS listener or trusted forwarded proto). */
    readonly secure: boolean;
    readonly transport: 'plain' | 'secure' | 'secure-no-hsts';
    readonly corsMode: CompiledPolicy['cors']['mode'];
  };
  /** The pipeline step that answered. */
  readonly step: Step;
  /** The `http.route.<id>` that serves the request, when one does. */
  readonly route?: string;
  /** One line for a human. */
  readonly decision: string;
  readonly status: number;
  readonly preflight?: { readonly granted: boolean; readonly reason: string };
  readonly location?: string;
  /** Whether the response lets a cross-origin page read it (it carries Access-Control-Allow-Origin). */
  readonly crossOriginReadable: boolean;
  /** Exactly as the pipeline hands them to `writeHead`, in order (the HTTP layer adds Date and Connection). */
  readonly headers: readonly ExplainedHeader[];
  readonly body: string;
  readonly notes: readonly string[];
}

const TRANSPORT_NAMES = { [Transport.Plain]: 'plain', [Transport.SecureNoHsts]: 'secure-no-hsts', [Transport.Secure]: 'secure' } as const;

export function explain(policy: CompiledPolicy, r: ExplainRequest): Explanation {
  const settings = policy.settings;
  const headers = new Map<string, string>();
  for (const [name, value] of r.headers ?? []) {
    const n = name.trim().toLowerCase();
    const prior = headers.get(n);
    headers.set(n, prior === undefined ? value.trim() : `${prior}, ${value.trim()}`);
  }
  if (r.origin !== undefined) headers.set('origin', r.origin);
  if (r.host !== undefined) headers.set('host', r.host);
  if (!headers.has('host')) headers.set('host', settings.http.url?.host ?? settings.server.hostname);
  const rawHeaders = [...headers].flat();
  const h = decisionHeadersOf(Object.fromEntries(headers));

  const peer = normalizeIp(r.ip);
  const client = requestClient(policy, peer, h);
  const listenerTls = r.listenerTls ?? r.scheme === 'https';
  const url = r.path.startsWith('/') || r.path === '*' ? r.path : `/${r.path}`;
  const q = url.indexOf('?');
  const facts: RequestFacts = {
    method: r.method,
    url,
    path: q < 0 ? url : url.slice(0, q),
    rawHost: h.host,
    httpVersion: '1.1',
    secure: isSecure(listenerTls, client),
    origin: h.origin,
    requestMethod: h.requestMethod,
    requestHeaders: h.requestHeaders,
    clientIp: client?.ip ?? peer,
    listener: settings.listeners.find((l) => l.tls === listenerTls)?.id ?? '',
    connection: { localPort: settings.listeners.find((l) => l.tls === listenerTls)?.binds[0]?.port ?? 0 },
    rawHeaders,
  };
  const transport = transportOf(facts.secure, parseHost(facts.rawHost));
  const tlsPort = settings.listeners.find((l) => l.tls)?.binds[0]?.port;
  // An explanation describes one request on its own: no rate limit has been used up.
  const state = { policy, httpsPort: r.httpsPort ?? (tlsPort || 443), ready: r.ready ?? true, rateCounter: NEVER_LIMITED, webadmin: webAdminAssets() };

  let recorded:
    | { step: Step; status: number; base: readonly string[]; extra: readonly string[]; list: string[]; body: string; preflight: PreflightAnswer | undefined; route: RouteSettings | undefined }
    | undefined;
  decide(facts, state, (_x, step, status, base, type, body, extra, preflight, route) => {
    recorded = { step, status, base, extra: extra ?? [], list: responseHeaderList(base, extra, type, body), body: typeof body === 'string' ? body : body.toString('utf8'), preflight, route };
  });
  if (!recorded) throw new Error('the decision gave no answer');
  const { step, status, list, body, preflight } = recorded;

  const explained: ExplainedHeader[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const part = i < recorded.base.length ? 'policy' : i < recorded.base.length + recorded.extra.length ? 'step' : 'body';
    explained.push({ name: list[i]!, value: list[i + 1]!, ...provenance(policy, list[i]!, part, i < settings.http.headers.length * 2, step) });
  }
  const location = explained.find((x) => x.name === 'location')?.value;
  const crossOriginReadable = explained.some((x) => x.name === 'access-control-allow-origin');
  return {
    request: {
      method: facts.method,
      url,
      host: facts.rawHost,
      origin: facts.origin,
      clientIp: client?.ip ?? peer,
      secure: facts.secure,
      transport: TRANSPORT_NAMES[transport],
      corsMode: policy.cors.mode,
    },
    step,
    decision: summary(step, status, preflight, location, recorded.route),
    ...(recorded.route ? { route: recorded.route.id } : {}),
    status,
    ...(preflight ? { preflight: { granted: preflight.granted, reason: preflight.reason } } : {}),
    ...(location !== undefined ? { location } : {}),
    crossOriginReadable,
    headers: explained,
    body,
    notes: notes(policy, r, facts, transport, step, crossOriginReadable, listenerTls),
  };
}

const NEVER_LIMITED: RateCounter = { hit: () => true, status: (_key, rate) => ({ allowed: true, remaining: rate.requests, resetMs: rate.periodMs }) };

function summary(step: Step, status: number, preflight: PreflightAnswer | undefined, location: string | undefined, route: RouteSettings | undefined): string {
  switch (step) {
    case 'blocked-ip':
      return `${status}: the client address is in server.blocked-ip`;
    case 'rate-limited':
      return `${status}: over http.rate-limit.anonymous`;
    case 'access-rule':
      return `${status}: refused by http.allowed-endpoint`;
    case 'access-error':
      return `${status}: http.allowed-endpoint could not be evaluated, so the request is denied`;
    case 'uri-too-long':
      return `${status}: the request target is longer than http.limits.uri-size`;
    case 'malformed-host':
      return `${status}: the Host header is missing, repeated or malformed, so it is neither routed nor redirected`;
    case 'redirect-without-host':
      return `${status}: plain HTTP would be redirected to HTTPS (http.hsts), but there is no Host to redirect to`;
    case 'hsts-redirect':
      return `${status}: redirected to ${location} (http.hsts forces HTTPS)`;
    case 'preflight':
      return preflight?.granted ? `${status}: CORS preflight granted` : `${status}: CORS preflight not granted: ${preflight?.reason}`;
    case 'api':
      return 'handed to the management API, which answers 401 without valid credentials';
    case 'malformed-path':
      return `${status}: the path has dot segments, backslashes or NUL, so it is not handed to a route`;
    case 'proxy':
      return `forwarded to ${route?.target.kind === 'proxy' ? route.target.upstream.origin : 'the upstream'} (http.route.${route?.id}); the upstream's status and body are sent with Parapet's headers below, which replace the upstream's copies of them`;
    case 'static':
      return `served from ${route?.target.kind === 'static' ? route.target.root : 'a directory'} (http.route.${route?.id}), with Parapet's headers below`;
    case 'route':
      return `${status}: routed`;
  }
}

type Part = 'policy' | 'step' | 'body';

/**
 * Which setting a header comes from. The policy's list is the configured headers
 * (`http.headers`) first, then HSTS, then the CORS mode's (see `compilePolicy`); a step adds
 * its own after it.
 */
function provenance(policy: CompiledPolicy, name: string, part: Part, configured: boolean, step: Step): { keys: string[]; why: string } {
  const http = policy.settings.http;
  const cors = http.cors;
  if (part === 'policy' && configured) return { keys: ['http.headers'], why: 'configured: added to every response' };
  if (part === 'body') return { keys: [], why: 'describes the body' };
  const modeKey = cors.mode === 'permissive' ? 'http.permissive-cors' : 'http.cors.allowed-origins';
  switch (name) {
    case 'strict-transport-security':
      return { keys: ['http.hsts', 'http.hsts-max-age', 'http.hsts-include-subdomains', 'http.hsts-preload'], why: 'HSTS, on every response over a secure transport' };
    case 'location':
      return { keys: ['http.hsts', 'http.hsts-redirect', ...(http.url ? ['http.url'] : [])], why: 'plain HTTP is redirected to HTTPS' };
    case 'access-control-allow-origin':
      return cors.mode === 'permissive'
        ? { keys: [modeKey], why: 'permissive CORS: every origin' }
        : { keys: [modeKey], why: 'the Origin matches the allowlist and is reflected exactly' };
    case 'access-control-allow-credentials':
      return { keys: ['http.cors.allow-credentials', modeKey], why: 'credentials allowed for allowlisted origins' };
    case 'access-control-allow-methods':
      return cors.allowedMethods ? { keys: ['http.cors.allowed-methods', modeKey], why: 'the configured method list' } : { keys: [modeKey], why: "Stalwart's method list" };
    case 'access-control-allow-headers':
      return cors.allowedHeaders
        ? { keys: ['http.cors.allowed-headers', modeKey], why: 'the configured header list' }
        : { keys: [modeKey], why: "Stalwart's header list plus the headers the preflight asks for" };
    case 'access-control-expose-headers':
      return { keys: ['http.cors.expose-headers', modeKey], why: 'headers a page may read from the response' };
    case 'access-control-max-age':
      return { keys: ['http.cors.max-age', modeKey], why: 'how long the browser may cache this preflight answer' };
    case 'vary': {
      const keys = [modeKey];
      if (step === 'preflight' && cors.allowedMethods?.includes('*')) keys.push('http.cors.allowed-methods');
      if (step === 'preflight' && cors.allowedHeaders?.includes('*')) keys.push('http.cors.allowed-headers');
      return { keys, why: 'the answer depends on these request headers, so caches must key on them' };
    }
    case 'allow':
      return { keys: [], why: 'the methods this resource accepts' };
    default:
      return { keys: [], why: part === 'step' ? `added by the ${step} step` : 'security policy' };
  }
}

function notes(policy: CompiledPolicy, r: ExplainRequest, facts: RequestFacts, transport: Transport, step: Step, readable: boolean, listenerTls: boolean): string[] {
  const s = policy.settings.http;
  const out: string[] = [];
  if (r.scheme === 'https' && !facts.secure) {
    out.push('the connection is plain HTTP and no trusted forwarded header says https, so Parapet treats the request as plain HTTP (http.use-x-forwarded, http.trusted-proxies)');
  }
  if (!listenerTls && facts.secure) out.push('HTTPS is taken from a forwarded header of a trusted proxy (http.use-x-forwarded)');
  if (s.hsts.enabled && transport === Transport.Plain) out.push('no Strict-Transport-Security: it must not be sent over plain HTTP (RFC 6797 §7.2)');
  if (s.hsts.enabled && transport === Transport.SecureNoHsts) {
    out.push('no Strict-Transport-Security: browsers ignore it for IP literals and it would pin every port of localhost (RFC 6797 §8.1)');
  }
  const preflightShaped = facts.method === 'OPTIONS' && facts.origin !== undefined && facts.requestMethod !== undefined;
  if (preflightShaped && step === 'route' && policy.cors.mode === 'off') {
    out.push('CORS is off (neither http.permissive-cors nor http.cors.allowed-origins is set): this preflight is routed like any OPTIONS request and the browser will refuse the call');
  } else if (preflightShaped && step !== 'preflight' && step !== 'route') {
    out.push('this preflight is not answered as one: an earlier step answers first, and browsers refuse a preflight that is not a 2xx');
  }
  if (facts.origin !== undefined && step !== 'preflight') {
    if (policy.cors.mode === 'off') out.push('CORS is off: a cross-origin page cannot read this response');
    else if (!readable) out.push(`the Origin ${JSON.stringify(facts.origin)} is not in http.cors.allowed-origins: a page there cannot read this response`);
  }
  return out;
}
