// The pure half of the request pipeline: which step answers a request, with which status,
// headers and body. The pipeline hands the answer to node:http; `parapet explain` records it.
// Both call this one function, so an explanation cannot drift from what the server sends.
//
// It runs on every request, so it allocates nothing of its own: the facts arrive in the
// pipeline's per-request object, and the answer leaves through a module-level callback's
// arguments rather than through a result object.
import { evaluate, evaluateRules, headerLines, isFailure, toResultString, toStatusCode, type EvalContext, type HttpVariables } from '../expr/index.js';
import { parseHost, type HostFacts } from '../net/host.js';
import { isSharedList, sharedList } from '../net/header-list.js';
import { isLoopback, normalizeIp } from '../net/ip.js';
import { IpStanding } from './access/ip-lists.js';
import { isPreflight, type PreflightAnswer } from './cors/index.js';
import { resolveClient, type ClientFacts, type ForwardedHeaders } from './forwarded/index.js';
import { hostTakesHsts, redirectDecision, type RedirectTarget } from './hsts/index.js';
import { Transport, type CompiledPolicy } from './index.js';
import { rateLimitHeaders, type RateCounter } from './ratelimit/index.js';
import { ADMIN_HEADERS, type WebAdminAssets } from '../admin/web/assets.js';
import { PROBLEM_TYPE, problemBody } from '../net/problem.js';
import type { RouteSettings } from '../config/routes.js';
import { isUnsafePath } from '../routes/table.js';

/** What the decision reads from one request. */
export interface RequestFacts {
  readonly method: string;
  /** The request target as sent, path and query: a redirect keeps it. */
  readonly url: string;
  /** The path without the query. */
  readonly path: string;
  /** `Host` (or HTTP/2 `:authority`) as sent; undefined when absent. */
  readonly rawHost: string | undefined;
  /** `1.0`, `1.1` or `2.0`, as node reports it: HTTP/1.1 requires a Host. */
  readonly httpVersion: string;
  /** A TLS listener, or a trusted forwarded protocol of https. */
  readonly secure: boolean;
  readonly origin: string | undefined;
  /** `Access-Control-Request-Method`. */
  readonly requestMethod: string | undefined;
  /** `Access-Control-Request-Headers`. */
  readonly requestHeaders: string | undefined;
  /** The client: the socket peer, or the address a trusted forwarded header names. */
  readonly clientIp: string;
  /** What Stalwart's expressions see of the connection (`http.allowed-endpoint`, `http.url`). */
  readonly listener: string;
  /** The socket (or what explain makes up), read only when an expression asks for it. */
  readonly connection: { readonly remotePort?: number | undefined; readonly localAddress?: string | undefined; readonly localPort?: number | undefined };
  /** node's `rawHeaders`: turned into the `headers` variable only when an expression reads it. */
  readonly rawHeaders: readonly string[];
}

/** What the decision reads from the running server. */
export interface DecisionState {
  readonly policy: CompiledPolicy;
  /** Where plain-HTTP requests are redirected: the first HTTPS listener's port. */
  readonly httpsPort: number;
  readonly ready: boolean;
  readonly rateCounter: RateCounter;
  /** The built webadmin served at /admin/, loaded at start; undefined when not built. */
  readonly webadmin?: WebAdminAssets | undefined;
}

/** The step that answered, in pipeline order. */
export type Step =
  | 'blocked-ip'
  | 'rate-limited'
  | 'access-rule'
  | 'access-error'
  | 'uri-too-long'
  | 'malformed-host'
  | 'redirect-without-host'
  | 'hsts-redirect'
  | 'preflight'
  | 'api'
  | 'malformed-path'
  | 'proxy'
  | 'static'
  | 'route';

/**
 * Receives the answer. `base` is the policy's header list for the response's transport,
 * `extra` the step's own headers; `responseHeaderList` joins them as sent. Status 0 hands
 * the request over to an asynchronous answerer: the management API (`api`) or the matched
 * `route` (`proxy`, `static`), which must send `base` with whatever it answers.
 */
export type Answer<X> = (
  x: X,
  step: Step,
  status: number,
  base: readonly string[],
  type: string | undefined,
  body: string | Buffer,
  extra: readonly string[] | undefined,
  preflight: PreflightAnswer | undefined,
  route?: RouteSettings,
  /** The complete list when the decision already holds it joined (a cached answer): what `responseHeaderList` would return. */
  finished?: readonly string[],
) => void;


/** The client behind the socket, when forwarded headers are believed at all. */
export function requestClient(policy: CompiledPolicy, peer: string, forwarded: ForwardedHeaders): ClientFacts | undefined {
  if (policy.forwarded.mode === 'off') return undefined;
  return resolveClient(peer, forwarded, policy.forwarded);
}

export function isSecure(listenerTls: boolean, client: ClientFacts | undefined): boolean {
  return listenerTls || client?.forwardedProto === 'https';
}

export function transportOf(secure: boolean, host: HostFacts | undefined): Transport {
  return !secure ? Transport.Plain : hostTakesHsts(host) ? Transport.Secure : Transport.SecureNoHsts;
}

// Finished lists for the policy's shared header lists (every mode but the allowlist, whose
// list depends on the Origin) and a fixed body type and length: the common answers are then
// one Map lookup, handed to writeHead as they are (node only reads the array).
const finishedLists = new WeakMap<readonly string[], Map<string, Map<number, readonly string[]>>>();
/** Bodiless answers (a cached preflight's 204) by their shared step headers. */
const withExtra = new WeakMap<readonly string[], WeakMap<readonly string[], readonly string[]>>();

/** The header list handed to `writeHead`: the policy's, the step's, then the body's. */
export function responseHeaderList(base: readonly string[], extra: readonly string[] | undefined, type: string | undefined, body: string | Buffer): string[] {
  if (extra === undefined && type !== undefined && isSharedList(base)) {
    let byType = finishedLists.get(base);
    if (!byType) finishedLists.set(base, (byType = new Map()));
    let byLength = byType.get(type);
    if (!byLength) byType.set(type, (byLength = new Map()));
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    let list = byLength.get(length);
    if (!list) {
      if (byLength.size > 64) byLength.clear();
      byLength.set(length, (list = sharedList([...base, 'content-type', type, 'content-length', String(length)])));
    }
    return list as string[];
  }
  if (extra !== undefined && type === undefined && body.length === 0 && isSharedList(base) && isSharedList(extra)) {
    let byExtra = withExtra.get(base);
    if (!byExtra) withExtra.set(base, (byExtra = new WeakMap()));
    let list = byExtra.get(extra);
    if (!list) byExtra.set(extra, (list = sharedList([...base, ...extra])));
    return list as string[];
  }
  const headers = extra ? [...base, ...extra] : [...base];
  if (type !== undefined) headers.push('content-type', type, 'content-length', String(Buffer.byteLength(body)));
  return headers;
}

const ROBOTS = 'User-agent: *\nDisallow: /\n';
const LIVE = '{"status":"live"}';
const READY = '{"status":"ready"}';
const ALLOW_GET = sharedList(['allow', 'GET, HEAD']);
const TO_ADMIN = sharedList(['location', '/admin/']);
const ADMIN_ALLOW_GET = sharedList([...ADMIN_HEADERS, 'allow', 'GET, HEAD']);
const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

const NO_HEADERS: readonly string[] = sharedList([]);

const HOST_MISSING = problemBody(400, 'an HTTP/1.1 request needs a Host header');
const HOST_REPEATED = problemBody(400, 'the request has more than one Host header');
const HOST_CONFLICT = problemBody(400, 'Host and :authority name different hosts');
const HOST_MALFORMED = problemBody(400, 'the Host header is malformed');

/**
 * The problem body when the request's Host cannot be trusted, else undefined: missing on
 * HTTP/1.1 or sent twice (RFC 9112 §3.2 requires exactly one, and a 400 for anything else),
 * differing from HTTP/2's `:authority` (RFC 9113 §8.3.1), or not a host[:port] at all.
 * Node keeps the first of two Host headers; a proxy in front that took the other one would
 * have applied its rules to a different host than the one Parapet routes on.
 */
function hostProblem(x: RequestFacts, host: HostFacts | undefined): string | undefined {
  const raw = x.rawHeaders;
  let hosts = 0;
  let field: string | undefined;
  let authority: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
      hosts++;
      field = raw[i + 1];
    } else if (name === ':authority') authority = raw[i + 1];
  }
  if (hosts > 1) return HOST_REPEATED;
  if (field !== undefined && authority !== undefined && field !== authority && field.toLowerCase() !== authority.toLowerCase()) return HOST_CONFLICT;
  if (x.rawHost === undefined) return x.httpVersion === '1.1' ? HOST_MISSING : undefined;
  return host === undefined ? HOST_MALFORMED : undefined;
}

function expressionVariables(x: RequestFacts, wantsHeaders: boolean): HttpVariables {
  return {
    listener: x.listener,
    remote_ip: x.clientIp,
    remote_port: x.connection.remotePort ?? 0,
    local_ip: normalizeIp(x.connection.localAddress ?? ''),
    local_port: x.connection.localPort ?? 0,
    protocol: x.secure ? 'https' : 'http',
    is_tls: x.secure ? 1 : 0,
    url: x.url,
    url_path: x.path,
    headers: wantsHeaders ? headerLines(x.rawHeaders) : NO_HEADERS,
    method: x.method,
  };
}

function expressionContext(policy: CompiledPolicy): EvalContext {
  return policy.expressionContext;
}

/** `http.url` in expression form names the public URL per request; its host is the redirect target. */
function urlTarget(policy: CompiledPolicy, x: RequestFacts): RedirectTarget | undefined {
  const expr = policy.settings.http.urlExpression;
  if (!expr) return undefined;
  const v = evaluate(expr, expressionVariables(x, expr.variables.has('headers')), expressionContext(policy));
  const text = isFailure(v) ? undefined : toResultString(v);
  if (text === undefined || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.protocol === 'https:' ? { fixedAuthority: url.host } : { fixedAuthority: undefined, fixedHostname: url.hostname };
}

/**
 * Order matters and each step's reason is the design's: refuse blocked addresses before any
 * other work → rate-limit (allowed addresses and health probes exempt) → refuse a request
 * target over `http.limits.uri-size` → the access rule (`http.allowed-endpoint`) → refuse a
 * missing, repeated or malformed Host → redirect plain HTTP to HTTPS →
 * answer CORS preflights (after the rules and limits, before routing and authentication:
 * browsers never send credentials on them) → route. Every answer carries the compiled
 * security headers for its transport; a preflight's carry its own CORS headers instead.
 */
export function decide<X extends RequestFacts>(x: X, s: DecisionState, answer: Answer<X>): void {
  const policy = s.policy;
  const host = parseHost(x.rawHost);
  const transport = transportOf(x.secure, host);
  const standing = policy.ipLists.standing(x.clientIp);
  if (standing === IpStanding.Blocked) {
    return answer(x, 'blocked-ip', 403, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, problemBody(403, 'this address is blocked'), undefined, undefined);
  }
  if (standing !== IpStanding.Allowed && !x.path.startsWith('/healthz/')) {
    const rate = policy.settings.access.rateLimit.anonymous;
    const now = Date.now();
    if (!s.rateCounter.hit(x.clientIp, rate, now)) {
      const d = s.rateCounter.status(x.clientIp, rate, now);
      const body = problemBody(429, 'too many requests from this address');
      return answer(x, 'rate-limited', 429, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, body, rateLimitHeaders('anonymous', rate, d), undefined);
    }
  }
  // Before anything reads the URL (an access rule's regex over a megabyte of path, say).
  const maxUri = policy.settings.http.limits.maxUriBytes;
  if (x.url.length > maxUri) {
    const body = problemBody(414, `the request target is longer than http.limits.uri-size (${maxUri} bytes)`);
    return answer(x, 'uri-too-long', 414, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, body, undefined, undefined);
  }
  const rules = policy.settings.access.allowedEndpoint;
  if (rules) {
    const v = evaluateRules(rules, expressionVariables(x, rules.variables.has('headers')), expressionContext(policy));
    const status = isFailure(v) ? undefined : toStatusCode(v);
    if (status === undefined) {
      // A rule that fails at run time denies: an access rule that cannot decide must not allow.
      const body = problemBody(500, 'the access rule could not be evaluated');
      return answer(x, 'access-error', 500, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, body, undefined, undefined);
    }
    // As in Stalwart, loopback is never locked out of the management API by a rule.
    if (status !== 200 && !(x.path.startsWith('/api') && isLoopback(x.clientIp))) {
      return answer(x, 'access-rule', status, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, problemBody(status, 'refused by http.allowed-endpoint'), undefined, undefined);
    }
  }
  const badHost = hostProblem(x, host);
  if (badHost !== undefined) {
    return answer(x, 'malformed-host', 400, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, badHost, undefined, undefined);
  }
  if (!x.secure && policy.hsts.redirect) {
    const d = redirectDecision(policy.hsts, s.httpsPort, x.method, x.path, x.url, host, urlTarget(policy, x));
    if (d.kind === 'bad-host') {
      const body = problemBody(400, 'a Host header is required to redirect to HTTPS');
      return answer(x, 'redirect-without-host', 400, policy.responseHeaders(transport, x.origin), PROBLEM_TYPE, body, undefined, undefined);
    }
    if (d.kind === 'redirect') {
      return answer(x, 'hsts-redirect', d.status, policy.responseHeaders(transport, x.origin), TEXT, `Redirecting to ${d.location}\n`, ['location', d.location], undefined);
    }
  }
  if (policy.cors.mode !== 'off' && isPreflight(x.method, x.origin, x.requestMethod)) {
    const p = policy.cors.preflight(x.origin!, x.requestMethod!, x.requestHeaders);
    const base = policy.baseHeaders[transport];
    if (p.status === 204) return answer(x, 'preflight', 204, base, undefined, '', p.headers, p, undefined, p.sent?.[transport]);
    return answer(x, 'preflight', p.status, base, PROBLEM_TYPE, problemBody(p.status, `CORS preflight refused: ${p.reason}`), p.headers, p);
  }
  return route(x, s, host, policy.responseHeaders(transport, x.origin), answer);
}

function route<X extends RequestFacts>(x: X, s: DecisionState, host: HostFacts | undefined, base: readonly string[], answer: Answer<X>): void {
  const path = x.path;
  // The management API answers asynchronously (authentication, bodies): status 0 hands the
  // request over, with the security headers its answer must carry.
  if (path === '/api' || path.startsWith('/api/')) return answer(x, 'api', 0, base, undefined, '', undefined, undefined);
  if (path === '/admin' || path.startsWith('/admin/')) return admin(x, s.webadmin, base, answer);
  // Parapet's own endpoints stay reserved (the config refuses routes that claim them).
  const routes = s.policy.routes;
  if (routes.size > 0 && path !== '/healthz' && !path.startsWith('/healthz/')) {
    const hosted = routes.match(host?.hostname, path);
    if (hosted) {
      if (isUnsafePath(path)) {
        return answer(x, 'malformed-path', 400, base, PROBLEM_TYPE, problemBody(400, 'the path has dot segments, backslashes or NUL'), undefined, undefined);
      }
      return answer(x, hosted.target.kind, 0, base, undefined, '', undefined, undefined, hosted);
    }
  }
  if (path === '/' && (x.method === 'GET' || x.method === 'HEAD')) {
    return answer(x, 'route', 302, base, TEXT, 'Redirecting to /admin/\n', TO_ADMIN, undefined);
  }
  if (path !== '/healthz/live' && path !== '/healthz/ready' && path !== '/robots.txt') {
    return answer(x, 'route', 404, base, PROBLEM_TYPE, problemBody(404, `no resource at ${path.slice(0, 200)}`), undefined, undefined);
  }
  if (x.method !== 'GET' && x.method !== 'HEAD') {
    return answer(x, 'route', 405, base, PROBLEM_TYPE, problemBody(405, `${x.method} is not allowed here`), ALLOW_GET, undefined);
  }
  if (path === '/robots.txt') return answer(x, 'route', 200, base, TEXT, ROBOTS, undefined, undefined);
  if (path === '/healthz/live') return answer(x, 'route', 200, base, 'application/json', LIVE, undefined, undefined);
  if (s.ready) return answer(x, 'route', 200, base, 'application/json', READY, undefined, undefined);
  return answer(x, 'route', 503, base, PROBLEM_TYPE, problemBody(503, 'listeners are still starting'), undefined, undefined);
}

/**
 * The webadmin from memory: a file by its path, index.html for `/admin/` and for any other
 * path (the app routes itself), with a strict CSP. `connect-src *` because the app may be
 * pointed at a Parapet on another origin.
 */
function admin<X extends RequestFacts>(x: X, files: WebAdminAssets | undefined, base: readonly string[], answer: Answer<X>): void {
  if (x.path === '/admin') return answer(x, 'route', 301, base, TEXT, 'Redirecting to /admin/\n', TO_ADMIN, undefined);
  if (x.method !== 'GET' && x.method !== 'HEAD') {
    return answer(x, 'route', 405, base, PROBLEM_TYPE, problemBody(405, `${x.method} is not allowed here`), ADMIN_ALLOW_GET, undefined);
  }
  if (!files) {
    const body = problemBody(503, 'the webadmin was not built: run `npm run build` (vite build webadmin)');
    return answer(x, 'route', 503, base, PROBLEM_TYPE, body, ADMIN_HEADERS, undefined);
  }
  const asset = files.get(x.path.slice('/admin/'.length)) ?? files.get('index.html')!;
  if (ifNoneMatch(x.rawHeaders) === asset.etag) return answer(x, 'route', 304, base, undefined, '', asset.headers, undefined);
  return answer(x, 'route', 200, base, asset.type, asset.body, asset.headers, undefined);
}

function ifNoneMatch(raw: readonly string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'if-none-match') return raw[i + 1];
  return undefined;
}
