import type { Variables } from './state.js';
import { toInteger, type Value } from './value.js';

/**
 * The variables Stalwart offers HTTP expressions (`http.allowed-endpoint`, `http.url`),
 * with the types and spellings of Stalwart's `HttpContext::resolve_variable`.
 */
export const HTTP_VARIABLES = [
  'listener', 'remote_ip', 'remote_port', 'local_ip', 'local_port', 'protocol', 'is_tls', 'url', 'url_path', 'headers', 'method',
] as const;

export interface HttpVariables extends Variables {
  /** The id of the listener the request came in on (`[server.listener.<id>]`). */
  readonly listener: string;
  /** The client address, normalised (`1.2.3.4`, not `::ffff:1.2.3.4`), after forwarded-header handling. */
  readonly remote_ip: string;
  readonly remote_port: number;
  readonly local_ip: string;
  readonly local_port: number;
  /** `https` on a TLS listener, else `http`. */
  readonly protocol: 'http' | 'https';
  /** 1 on a TLS listener, else 0 (Stalwart has no boolean type). */
  readonly is_tls: 0 | 1;
  /** The request target: path and query (`/jmap/session?x=1`). */
  readonly url: string;
  /** The path alone (`/jmap/session`). */
  readonly url_path: string;
  /** Every header as `name: value`, name in lower case, in arrival order (see `headerLines`). */
  readonly headers: readonly string[];
  /** `GET`, `POST`, `OPTIONS`… */
  readonly method: string;
}

/** `headers` from node's `req.rawHeaders` ([name, value, name, value…]). */
export function headerLines(rawHeaders: readonly string[]): string[] {
  const out = new Array<string>(rawHeaders.length >> 1);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out[i >> 1] = `${rawHeaders[i]!.toLowerCase()}: ${rawHeaders[i + 1]!}`;
  return out;
}

/**
 * The status code an `http.allowed-endpoint` result stands for, or undefined when it is
 * not one (a string that is not a number, an array, a number outside 100–999). Stalwart
 * allows the request in that case; Parapet's caller decides.
 */
export function toStatusCode(v: Value): number | undefined {
  const n = toInteger(v);
  return n !== undefined && n >= 100 && n <= 999 ? n : undefined;
}

/** The text of an `http.url` result: only a string counts, as in Stalwart. */
export function toResultString(v: Value): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
