// The request headers the decision reads, and nothing more.
//
// node:http keeps `req.headers` as an object in dictionary mode, keyed by lower-cased names:
// every read of a field is a hashed, megamorphic lookup (and for HTTP/1.0 requests the whole
// object is only built on first access). The pipeline reads these few fields from
// `rawHeaders` in one pass instead, combined exactly as node combines them: `Host` keeps its
// first value (node drops the rest; the decision counts them itself), every other field
// joins its values with ", ".

/** The fields the decision and the forwarded-header policy read; undefined when absent. */
export interface DecisionHeaders {
  readonly host: string | undefined;
  readonly origin: string | undefined;
  /** `Access-Control-Request-Method`. */
  readonly requestMethod: string | undefined;
  /** `Access-Control-Request-Headers`. */
  readonly requestHeaders: string | undefined;
  readonly forwarded: string | undefined;
  readonly xForwardedFor: string | undefined;
  readonly xForwardedProto: string | undefined;
}

const join = (prior: string | undefined, value: string): string => (prior === undefined ? value : `${prior}, ${value}`);

/** Whether a field name, in whatever case it was sent, is `lower` (an all-lower-case name). */
function named(name: string, titled: string, lower: string): boolean {
  return name === titled || name === lower || name.toLowerCase() === lower;
}

/** From node's `rawHeaders` (HTTP/1.x): names as sent, alternating with their values. */
export function decisionHeaders(raw: readonly string[]): DecisionHeaders {
  let host: string | undefined;
  let origin: string | undefined;
  let requestMethod: string | undefined;
  let requestHeaders: string | undefined;
  let forwarded: string | undefined;
  let xForwardedFor: string | undefined;
  let xForwardedProto: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // The length picks the one candidate: most fields cost a single comparison.
    switch (name.length) {
      case 4:
        if (host === undefined && named(name, 'Host', 'host')) host = value;
        break;
      case 6:
        if (named(name, 'Origin', 'origin')) origin = join(origin, value);
        break;
      case 9:
        if (named(name, 'Forwarded', 'forwarded')) forwarded = join(forwarded, value);
        break;
      case 15:
        if (named(name, 'X-Forwarded-For', 'x-forwarded-for')) xForwardedFor = join(xForwardedFor, value);
        break;
      case 17:
        if (named(name, 'X-Forwarded-Proto', 'x-forwarded-proto')) xForwardedProto = join(xForwardedProto, value);
        break;
      case 29:
        if (named(name, 'Access-Control-Request-Method', 'access-control-request-method')) requestMethod = join(requestMethod, value);
        break;
      case 30:
        if (named(name, 'Access-Control-Request-Headers', 'access-control-request-headers')) requestHeaders = join(requestHeaders, value);
        break;
    }
  }
  return { host, origin, requestMethod, requestHeaders, forwarded, xForwardedFor, xForwardedProto };
}

/** A header object as node presents it (HTTP/2's, or `req.headers`): lower-case names. */
export type HeaderMap = { readonly [name: string]: string | string[] | undefined };

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

/** From a header object. HTTP/2's `:authority` stands in for the Host it replaces. */
export function decisionHeadersOf(h: HeaderMap): DecisionHeaders {
  return {
    host: one(h[':authority']) ?? one(h.host),
    origin: one(h.origin),
    requestMethod: one(h['access-control-request-method']),
    requestHeaders: one(h['access-control-request-headers']),
    forwarded: one(h.forwarded),
    xForwardedFor: one(h['x-forwarded-for']),
    xForwardedProto: one(h['x-forwarded-proto']),
  };
}
