// The few request headers the decision reads, found in one pass over node's `rawHeaders`.
// Reading `req.headers` makes node build an object of every header, lower-casing each name;
// on a preflight that was most of what Parapet did beyond a bare server. Semantics follow
// node's: names are case-insensitive, duplicates are joined with ", ", and for Host the
// first one counts.

export interface DecisionHeaders {
  host: string | undefined;
  origin: string | undefined;
  requestMethod: string | undefined;
  requestHeaders: string | undefined;
  forwarded: string | undefined;
  xForwardedFor: string | undefined;
  xForwardedProto: string | undefined;
}

const join = (a: string | undefined, b: string): string => (a === undefined ? b : `${a}, ${b}`);

export function scanHeaders(raw: readonly string[]): DecisionHeaders {
  const h: DecisionHeaders = {
    host: undefined,
    origin: undefined,
    requestMethod: undefined,
    requestHeaders: undefined,
    forwarded: undefined,
    xForwardedFor: undefined,
    xForwardedProto: undefined,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Compare lengths first so that only candidate names are lower-cased.
    switch (name.length) {
      case 4:
        if (h.host === undefined && name.toLowerCase() === 'host') h.host = value;
        break;
      case 10:
        // HTTP/2's authority wins over a Host header, as it does in node's compatibility API.
        if (name === ':authority') h.host = value;
        break;
      case 6:
        if (name.toLowerCase() === 'origin') h.origin = join(h.origin, value);
        break;
      case 9:
        if (name.toLowerCase() === 'forwarded') h.forwarded = join(h.forwarded, value);
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') h.xForwardedFor = join(h.xForwardedFor, value);
        break;
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') h.xForwardedProto = join(h.xForwardedProto, value);
        break;
      case 29:
        if (name.toLowerCase() === 'access-control-request-method') h.requestMethod = join(h.requestMethod, value);
        break;
      case 30:
        if (name.toLowerCase() === 'access-control-request-headers') h.requestHeaders = join(h.requestHeaders, value);
        break;
    }
  }
  return h;
}
