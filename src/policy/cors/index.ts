// The CORS protocol of the WHATWG Fetch standard (https://fetch.spec.whatwg.org/#http-cors-protocol)
// in Parapet's three modes. Everything that does not depend on the request is joined once here.
import { TOKEN } from '../headers/index.js';
import { sharedList } from '../../net/header-list.js';
import { OriginMatcher, type SubdomainPattern } from './origin.js';

export type CorsMode = 'off' | 'permissive' | 'allowlist';

export interface CorsSettings {
  readonly mode: CorsMode;
  readonly exactOrigins: readonly string[];
  readonly patterns: readonly SubdomainPattern[];
  readonly allowCredentials: boolean;
  /** undefined: Stalwart's list. `*` in the list: echo the requested method. */
  readonly allowedMethods: readonly string[] | undefined;
  /** undefined: Stalwart's list plus whatever the preflight asks for. `*`: echo what is asked. */
  readonly allowedHeaders: readonly string[] | undefined;
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** What Stalwart's HTTP server answers on a preflight. */
export const STALWART_METHODS = ['POST', 'GET', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const STALWART_HEADERS = ['Authorization', 'Content-Type', 'Accept', 'X-Requested-With'] as const;

/** Browsers never ask permission for these methods (Fetch: CORS-safelisted method). */
const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);
const MAX_REQUESTED_HEADERS = 64;

export interface PreflightAnswer {
  readonly granted: boolean;
  readonly status: 204 | 403;
  /** Why it was or was not granted, for logs and `parapet explain`. */
  readonly reason: string;
  /** Flat header list: name, value, name, value… */
  readonly headers: readonly string[];
  /**
   * A granted (204) answer's complete header list by transport: the policy's headers for it
   * (the `bases` given to `compileCors`) followed by `headers`, joined once when the answer is
   * made, so a repeated preflight is answered without building a list.
   */
  readonly sent?: TransportLists;
}

/** One header list per transport, indexed by the policy's `Transport` (plain, secure without HSTS, secure). */
export type TransportLists = readonly [readonly string[], readonly string[], readonly string[]];

const NO_BASES: TransportLists = [[], [], []];

export interface CompiledCors {
  readonly mode: CorsMode;
  /** CORS headers of a non-preflight response. */
  actualHeaders(origin: string | undefined): readonly string[];
  preflight(origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightAnswer;
}

const NONE: readonly string[] = sharedList([]);

/** `bases`: the headers every answer carries besides CORS's own, by transport. */
export function compileCors(s: CorsSettings, bases: TransportLists = NO_BASES): CompiledCors {
  if (s.mode === 'off') {
    return {
      mode: 'off',
      actualHeaders: () => NONE,
      preflight: () => ({ granted: false, status: 403, reason: 'CORS is off (neither http.permissive-cors nor http.cors.allowed-origins is set)', headers: NONE }),
    };
  }
  const expose = s.exposeHeaders.length > 0 ? ['access-control-expose-headers', s.exposeHeaders.join(', ')] : [];
  const credentials = s.mode === 'allowlist' && s.allowCredentials ? ['access-control-allow-credentials', 'true'] : [];
  const methods = s.allowedMethods ?? STALWART_METHODS;
  const echoMethod = methods.includes('*');
  const methodSet = new Set(methods);
  const methodsValue = methods.join(', ');
  const defaultHeaders = s.allowedHeaders === undefined;
  const echoHeaders = defaultHeaders || s.allowedHeaders!.includes('*');
  const headerList = s.allowedHeaders === undefined ? [...STALWART_HEADERS] : s.allowedHeaders.filter((h) => h !== '*');
  const headerSet = new Set(headerList.map((h) => h.toLowerCase()));
  const maxAge = ['access-control-max-age', String(s.maxAgeSeconds)];
  const preflightVary = [
    ...(s.mode === 'allowlist' ? ['Origin'] : []),
    ...(echoMethod ? ['Access-Control-Request-Method'] : []),
    ...(echoHeaders ? ['Access-Control-Request-Headers'] : []),
  ].join(', ');
  const varyPreflight = preflightVary ? ['vary', preflightVary] : [];

  const allowsOrigin: (origin: string) => boolean =
    s.mode === 'permissive' ? () => true : ((m) => (origin: string) => m.matches(origin))(new OriginMatcher(s.exactOrigins, s.patterns));

  const permissiveActual = sharedList(['access-control-allow-origin', '*', ...expose]);
  // The allowlist's answer depends on Origin, so caches must key on it even when it does not match.
  const varyOnly = sharedList(['vary', 'Origin']);
  const allowlistTail = [...credentials, ...expose];

  const actualHeaders =
    s.mode === 'permissive'
      ? () => permissiveActual
      : (origin: string | undefined) =>
          origin !== undefined && allowsOrigin(origin) ? ['vary', 'Origin', 'access-control-allow-origin', origin, ...allowlistTail] : varyOnly;

  const preflight = (origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightAnswer => {
    if (!allowsOrigin(origin)) {
      return { granted: false, status: 403, reason: `origin ${JSON.stringify(origin)} is not in http.cors.allowed-origins`, headers: varyOnly };
    }
    const requested = parseRequestedHeaders(requestHeaders);
    const allowOrigin = s.mode === 'permissive' ? '*' : origin;
    let reason = 'granted';
    let granted = true;
    if (requested === undefined) {
      granted = false;
      reason = 'Access-Control-Request-Headers is malformed (names must be tokens, at most 64)';
    } else if (!TOKEN.test(requestMethod)) {
      granted = false;
      reason = 'Access-Control-Request-Method is not a method token';
    } else if (!echoMethod && !methodSet.has(requestMethod) && !SAFELISTED_METHODS.has(requestMethod)) {
      granted = false;
      reason = `method ${requestMethod} is not in ${s.allowedMethods ? 'http.cors.allowed-methods' : "Stalwart's method list"}`;
    } else if (!echoHeaders) {
      const missing = requested.filter((h) => !headerSet.has(h));
      if (missing.length > 0) {
        granted = false;
        reason = `header${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in http.cors.allowed-headers`;
      }
    }
    const allowHeaders = echoHeaders && requested ? mergeHeaderNames(headerList, headerSet, requested) : headerList.join(', ');
    const headers = [
      'access-control-allow-origin', allowOrigin,
      ...credentials,
      'access-control-allow-methods', echoMethod && TOKEN.test(requestMethod) ? requestMethod : methodsValue,
      ...(allowHeaders ? ['access-control-allow-headers', allowHeaders] : []),
      ...maxAge,
      ...varyPreflight,
    ];
    // An allowed origin whose method or headers are refused still gets the lists, so the
    // browser's console names the method or header at fault instead of a missing origin.
    const sent = bases.map((base) => sharedList([...base, ...headers])) as unknown as TransportLists;
    return { granted, status: 204, reason, headers: sharedList(headers), sent };
  };

  // Browsers repeat the same few preflights, and the answer depends only on these inputs, so
  // finished answers are kept (bounded, and only for request headers of ordinary size). One
  // map per input rather than one joined key: the lookup then hashes the strings as they came.
  type ByHeaders = Map<string, PreflightAnswer>;
  const answers = new Map<string, Map<string, ByHeaders>>();
  let kept = 0;
  // The last answer is checked first: one client's preflights repeat the same request, and
  // three string comparisons touch less memory than three map lookups.
  let last: { origin: string; method: string; headers: string; answer: PreflightAnswer } | undefined;
  const cachedPreflight = (origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightAnswer => {
    const originKey = s.mode === 'allowlist' ? origin : '';
    const headersKey = requestHeaders ?? '';
    if (last !== undefined && last.method === requestMethod && last.headers === headersKey && last.origin === originKey) return last.answer;
    const answer = answers.get(originKey)?.get(requestMethod)?.get(headersKey) ?? remember(originKey, requestMethod, headersKey, preflight(origin, requestMethod, requestHeaders));
    last = { origin: originKey, method: requestMethod, headers: headersKey, answer };
    return answer;
  };
  const remember = (originKey: string, requestMethod: string, headersKey: string, answer: PreflightAnswer): PreflightAnswer => {
    if (originKey.length + requestMethod.length + headersKey.length <= 1024) {
      if (kept >= 512) {
        answers.clear();
        kept = 0;
      }
      let byMethod = answers.get(originKey);
      if (!byMethod) answers.set(originKey, (byMethod = new Map()));
      let byHeaders = byMethod.get(requestMethod);
      if (!byHeaders) byMethod.set(requestMethod, (byHeaders = new Map()));
      byHeaders.set(headersKey, answer);
      kept++;
    }
    return answer;
  };

  return { mode: s.mode, actualHeaders, preflight: cachedPreflight };
}

/** `Access-Control-Request-Headers` as lower-cased names; undefined when malformed. */
export function parseRequestedHeaders(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const names: string[] = [];
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '') continue;
    if (!TOKEN.test(name) || names.length >= MAX_REQUESTED_HEADERS) return undefined;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The configured names, then each requested one not among them (`requested` has no duplicates). */
function mergeHeaderNames(base: readonly string[], baseLower: ReadonlySet<string>, requested: readonly string[]): string {
  let out = base.join(', ');
  for (const r of requested) if (!baseLower.has(r)) out = out ? `${out}, ${r}` : r;
  return out;
}

export function isPreflight(method: string, origin: string | undefined, requestMethod: string | undefined): boolean {
  return method === 'OPTIONS' && origin !== undefined && requestMethod !== undefined;
}
