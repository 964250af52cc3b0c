// What every server in the benchmark must answer, byte for byte where it matters. The bare
// yardstick builds its responses from these constants and the verifier checks every server
// against them, so a server that skips a header cannot look fast by doing less work.

export const HEALTH_PATH = '/healthz/live';
export const HEALTH_BODY = '{"status":"live"}';
export const HEALTH_CONTENT_TYPE = 'application/json';

/** A path outside /healthz/ (health probes are exempt from rate limits), for the guarded run. */
export const ROBOTS_PATH = '/robots.txt';
export const ROBOTS_BODY = 'User-agent: *\nDisallow: /\n';
export const ROBOTS_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * The proxy scenario: every proxy forwards this path to the upstream (`servers/upstream.ts`),
 * which answers any path with this body and these headers. Not `/healthz/…`: with a `/` route,
 * Parapet keeps answering its own health endpoints instead of forwarding them.
 */
export const PROXIED_PATH = '/proxied';
export const UPSTREAM_BODY = 'hello from the bench upstream\n';
export const UPSTREAM_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Only the upstream sends it: a proxy that answers by itself cannot pass verification. */
export const UPSTREAM_MARKER = ['x-bench-upstream', 'node-http'] as const;

export const HSTS_VALUE = 'max-age=31536000; includeSubDomains';

/** `http.headers` in Parapet's config, and the same headers set by hand elsewhere. */
export const CONFIGURED_HEADERS: readonly (readonly [string, string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
];

export const PREFLIGHT_REQUEST: Readonly<Record<string, string>> = {
  origin: 'https://app.bench.test',
  'access-control-request-method': 'PUT',
  'access-control-request-headers': 'authorization',
};

/**
 * Parapet's permissive preflight answer (Stalwart's lists; the requested `authorization` is
 * already in them, so nothing is appended), as observed with curl against `parapet serve`.
 */
export const PREFLIGHT_ANSWER: readonly (readonly [string, string])[] = [
  ['access-control-allow-origin', '*'],
  ['access-control-allow-methods', 'POST, GET, PATCH, PUT, DELETE, HEAD, OPTIONS'],
  ['access-control-allow-headers', 'Authorization, Content-Type, Accept, X-Requested-With'],
  ['access-control-max-age', '7200'],
  ['vary', 'Access-Control-Request-Headers'],
];

/** `proxied`: a GET the server forwards to the upstream (or, for the upstream, answers). */
export type RequestKind = 'get' | 'preflight' | 'robots' | 'proxied';

export const REQUEST_PATHS: Readonly<Record<RequestKind, string>> = { get: HEALTH_PATH, preflight: HEALTH_PATH, robots: ROBOTS_PATH, proxied: PROXIED_PATH };

/** Which security features a server instance has switched on. */
export interface Features {
  readonly hsts: boolean;
  readonly permissiveCors: boolean;
}

export interface ExpectedResponse {
  readonly status: number;
  readonly body: string;
  /** Media type without parameters; undefined when the response has no body. */
  readonly contentType: string | undefined;
  /** The whole Content-Type header, parameters included, as servers send it. */
  readonly contentTypeHeader: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** Headers that must not appear (HSTS over plain HTTP, CORS when it is off). */
  readonly absent: readonly string[];
}

/**
 * For `proxied`, the upstream's own headers plus whatever the server's features add (Parapet's
 * CORS); other headers a proxy adds (Parapet's `http.headers`, nginx's Server) are not
 * required and show up as notes.
 */
export function expectedResponse(kind: RequestKind, tls: boolean, features: Features): ExpectedResponse {
  const headers: Record<string, string> = kind === 'proxied' ? { [UPSTREAM_MARKER[0]]: UPSTREAM_MARKER[1] } : Object.fromEntries(CONFIGURED_HEADERS);
  const absent: string[] = [];
  if (tls && features.hsts) headers['strict-transport-security'] = HSTS_VALUE;
  else absent.push('strict-transport-security');
  if (kind === 'preflight') {
    Object.assign(headers, Object.fromEntries(PREFLIGHT_ANSWER));
    return { status: 204, body: '', contentType: undefined, contentTypeHeader: undefined, headers, absent };
  }
  if (features.permissiveCors) headers['access-control-allow-origin'] = '*';
  else absent.push('access-control-allow-origin');
  if (kind === 'proxied') return { status: 200, body: UPSTREAM_BODY, contentType: 'text/plain', contentTypeHeader: UPSTREAM_CONTENT_TYPE, headers, absent };
  if (kind === 'robots') return { status: 200, body: ROBOTS_BODY, contentType: 'text/plain', contentTypeHeader: ROBOTS_CONTENT_TYPE, headers, absent };
  return { status: 200, body: HEALTH_BODY, contentType: HEALTH_CONTENT_TYPE, contentTypeHeader: HEALTH_CONTENT_TYPE, headers, absent };
}

/** The flat name/value list a node:http server hands to `writeHead` for these features. */
export function flatHeaders(kind: RequestKind, tls: boolean, features: Features): string[] {
  const e = expectedResponse(kind, tls, features);
  const flat = Object.entries(e.headers).flat();
  if (e.contentTypeHeader !== undefined) flat.push('content-type', e.contentTypeHeader, 'content-length', String(Buffer.byteLength(e.body)));
  return flat;
}
