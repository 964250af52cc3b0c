// One compiled policy per config: everything a request needs, joined once at load.
// A reload builds a new CompiledPolicy and swaps it in one assignment.
import { IpSet } from '../net/ip.js';
import { sharedList } from '../net/header-list.js';
import type { Settings } from '../config/settings.js';
import type { EvalContext } from '../expr/index.js';
import { compileIpLists, type CompiledIpLists } from './access/ip-lists.js';
import { compileCors, type CompiledCors } from './cors/index.js';
import type { CompiledForwarded } from './forwarded/index.js';
import { compileHsts, type CompiledHsts } from './hsts/index.js';
import { RouteTable } from '../routes/table.js';

/** Which transport a response travels over, which decides whether HSTS may be sent. */
export const enum Transport {
  Plain = 0,
  /** Secure, but the host is an IP literal or localhost, where HSTS is not sent. */
  SecureNoHsts = 1,
  Secure = 2,
}

export interface CompiledPolicy {
  readonly settings: Settings;
  readonly hsts: CompiledHsts;
  readonly cors: CompiledCors;
  readonly forwarded: CompiledForwarded;
  readonly ipLists: CompiledIpLists;
  /** What `config_get` and `key_get` read in expressions. */
  readonly expressionContext: EvalContext;
  /** Security and configured headers for a response, as a flat name/value list. */
  responseHeaders(transport: Transport, origin: string | undefined): readonly string[];
  /** The same, without CORS: for preflight answers, which carry their own CORS headers. */
  readonly baseHeaders: readonly [readonly string[], readonly string[], readonly string[]];
  /** `[http.route.<id>]`, ready to match. */
  readonly routes: RouteTable;
  /**
   * Whether Parapet owns a response header (lower-case name): HSTS when it is on, every
   * `Access-Control-*` when CORS is on, and the `http.headers` names. An upstream's copy of
   * such a header is dropped and Parapet's sent instead, so none is ever sent twice.
   */
  managesResponseHeader(name: string): boolean;
}

export function compilePolicy(settings: Settings, flat: ReadonlyMap<string, string> = new Map()): CompiledPolicy {
  const http = settings.http;
  // An https URL names the public HTTPS address itself; an http one only its host name.
  const https = http.url?.protocol === 'https:';
  const hsts = compileHsts(http.hsts, { fixedAuthority: https ? http.url!.host : undefined, fixedHostname: !https ? http.url?.hostname : undefined });
  const forwarded: CompiledForwarded = {
    mode: !http.forwarded.useXForwarded ? 'off' : http.forwarded.trustedProxies ? 'trusted' : 'any',
    trustedProxies: new IpSet(http.forwarded.trustedProxies ?? []),
  };
  const configured = http.headers.flat();
  const hstsPair = hsts.value !== undefined ? ['strict-transport-security', hsts.value] : [];
  const baseHeaders = [
    sharedList([...configured]),
    sharedList([...configured]),
    sharedList([...configured, ...hstsPair]),
  ] as const;
  const cors = compileCors(http.cors, baseHeaders);

  let responseHeaders: CompiledPolicy['responseHeaders'];
  if (cors.mode === 'allowlist') {
    responseHeaders = (transport, origin) => [...baseHeaders[transport], ...cors.actualHeaders(origin)];
  } else {
    const staticCors = cors.actualHeaders(undefined);
    const full = baseHeaders.map((b) => sharedList([...b, ...staticCors]));
    responseHeaders = (transport) => full[transport]!;
  }
  const ipLists = compileIpLists(settings.access.ipLists);
  const expressionContext: EvalContext = { configGet: (key) => flat.get(key), hostname: settings.server.hostname };
  const managed = new Set(http.headers.map(([name]) => name.toLowerCase()));
  if (http.hsts.enabled) managed.add('strict-transport-security');
  const corsOn = cors.mode !== 'off';
  const managesResponseHeader = (name: string) => managed.has(name) || (corsOn && name.startsWith('access-control-'));
  const routes = new RouteTable(http.routes);
  return { settings, hsts, cors, forwarded, ipLists, expressionContext, responseHeaders, baseHeaders, routes, managesResponseHeader };
}
