// What is measured: the servers, the scenarios that put them side by side, and the named
// ratios (with their targets) that the design's "Fast" principle is judged by.
import type { Features, RequestKind } from './contract.js';
import type { LogLevel } from './parapet-config.js';

export type ServerId =
  | 'bare'
  | 'fastify'
  | 'parapet'
  | 'parapet-log-info'
  | 'parapet-hsts-off'
  | 'parapet-cors-off'
  | 'parapet-guarded'
  | 'parapet-reloading'
  | 'upstream'
  | 'parapet-proxy'
  | 'fastify-proxy'
  | 'nginx';
export type TransportName = 'plain' | 'tls';

export interface ServerDefinition {
  readonly id: ServerId;
  readonly implementation: 'bare' | 'fastify' | 'parapet' | 'upstream' | 'fastify-proxy' | 'nginx';
  readonly features: Features;
  /** Parapet's `server.log-level`. */
  readonly logLevel: LogLevel;
  readonly description: string;
  /** The listeners it opens, each on a port of its own. */
  readonly transports: readonly TransportName[];
  /** Parapet with a three-rule http.allowed-endpoint and rate limits on. */
  readonly guarded?: boolean;
  /** Forwards every request to the `upstream` server, which is started first. */
  readonly proxy?: boolean;
  /** The harness sends it SIGHUP (a reload of the same config) this often while measuring it. */
  readonly reloadEveryMs?: number;
}

const ALL_ON: Features = { hsts: true, permissiveCors: true };
const NONE: Features = { hsts: false, permissiveCors: false };
const BOTH: readonly TransportName[] = ['plain', 'tls'];
const PLAIN: readonly TransportName[] = ['plain'];

export const SERVERS: Readonly<Record<ServerId, ServerDefinition>> = {
  bare: { id: 'bare', implementation: 'bare', features: ALL_ON, logLevel: 'warn', transports: BOTH, description: 'node:http/https, one writeHead with precomputed headers' },
  fastify: { id: 'fastify', implementation: 'fastify', features: ALL_ON, logLevel: 'warn', transports: BOTH, description: 'fastify + @fastify/cors + @fastify/helmet' },
  parapet: { id: 'parapet', implementation: 'parapet', features: ALL_ON, logLevel: 'warn', transports: BOTH, description: 'parapet serve, hsts + permissive-cors, log-level warn' },
  'parapet-log-info': {
    id: 'parapet-log-info',
    implementation: 'parapet',
    features: ALL_ON,
    logLevel: 'info',
    transports: BOTH,
    description: 'as parapet, log-level info (a JSON line per request, to /dev/null)',
  },
  'parapet-hsts-off': { id: 'parapet-hsts-off', implementation: 'parapet', features: { hsts: false, permissiveCors: true }, logLevel: 'warn', transports: BOTH, description: 'as parapet, hsts = false' },
  'parapet-guarded': {
    id: 'parapet-guarded',
    implementation: 'parapet',
    features: ALL_ON,
    logLevel: 'warn',
    transports: BOTH,
    guarded: true,
    description: 'as parapet, plus a three-rule http.allowed-endpoint and http.rate-limit.anonymous',
  },
  'parapet-reloading': {
    id: 'parapet-reloading',
    implementation: 'parapet',
    features: ALL_ON,
    logLevel: 'warn',
    transports: BOTH,
    reloadEveryMs: 200,
    description: 'as parapet, sent SIGHUP every 200 ms while measured: each reload re-reads the config and certificate files and swaps the TLS contexts',
  },
  'parapet-cors-off': { id: 'parapet-cors-off', implementation: 'parapet', features: { hsts: true, permissiveCors: false }, logLevel: 'warn', transports: BOTH, description: 'as parapet, permissive-cors = false' },
  upstream: {
    id: 'upstream',
    implementation: 'upstream',
    features: NONE,
    logLevel: 'warn',
    transports: PLAIN,
    description: 'node:http answering every path with one writeHead (a fixed body and marker header): the proxies\' upstream',
  },
  'parapet-proxy': {
    id: 'parapet-proxy',
    implementation: 'parapet',
    features: ALL_ON,
    logLevel: 'warn',
    transports: BOTH,
    proxy: true,
    description: 'as parapet, plus [http.route.up] path = "/" forwarding to upstream, and http.rate-limit.anonymous raised as for parapet-guarded',
  },
  'fastify-proxy': {
    id: 'fastify-proxy',
    implementation: 'fastify-proxy',
    features: NONE,
    logLevel: 'warn',
    transports: PLAIN,
    proxy: true,
    description: 'fastify + @fastify/http-proxy forwarding to upstream',
  },
  nginx: {
    id: 'nginx',
    implementation: 'nginx',
    features: NONE,
    logLevel: 'warn',
    transports: PLAIN,
    proxy: true,
    description: 'nginx, one process (master_process off), proxy_pass to an upstream block with keepalive 32',
  },
};

/** One thing measured: a server, a transport, a request. Scenarios share probes. */
export interface Probe {
  readonly server: ServerId;
  readonly transport: TransportName;
  readonly request: RequestKind;
}

export const probeKey = (p: Probe): string => `${p.server}/${p.transport}/${p.request}`;

export type ScenarioId = 'plain' | 'tls' | 'hsts' | 'preflight' | 'cors' | 'guarded' | 'proxy' | 'reload';

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly transport: TransportName;
  readonly request: RequestKind;
  /** The first is the yardstick the others are compared with (bare, or the upstream for proxies). */
  readonly servers: readonly ServerId[];
  /**
   * Its servers are measured one after the other even when the others' are measured at once:
   * here they all depend on one more process (the upstream), which would be shared.
   */
  readonly oneAtATime?: true;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'plain', title: 'GET /healthz/live, keep-alive, plain HTTP/1.1', transport: 'plain', request: 'get', servers: ['bare', 'parapet', 'parapet-log-info', 'fastify'] },
  { id: 'tls', title: 'GET /healthz/live, keep-alive, HTTP/1.1 over TLS', transport: 'tls', request: 'get', servers: ['bare', 'parapet', 'fastify'] },
  { id: 'hsts', title: 'HSTS on vs off, GET over TLS', transport: 'tls', request: 'get', servers: ['bare', 'parapet', 'parapet-hsts-off'] },
  { id: 'preflight', title: 'CORS preflight (OPTIONS, Origin, ACRM: PUT, ACRH: authorization), plain', transport: 'plain', request: 'preflight', servers: ['bare', 'parapet'] },
  { id: 'guarded', title: 'GET /robots.txt over TLS: access rules + rate limits + CORS + HSTS', transport: 'tls', request: 'robots', servers: ['bare', 'parapet-guarded'] },
  { id: 'cors', title: 'permissive CORS on vs off, GET plain', transport: 'plain', request: 'get', servers: ['bare', 'parapet', 'parapet-cors-off'] },
  {
    id: 'proxy',
    title: 'GET /proxied, keep-alive, plain HTTP/1.1, through a reverse proxy to the upstream (upstream measured directly first)',
    transport: 'plain',
    request: 'proxied',
    servers: ['upstream', 'parapet-proxy', 'fastify-proxy', 'nginx'],
    oneAtATime: true,
  },
  { id: 'reload', title: 'GET /healthz/live, keep-alive, HTTP/1.1 over TLS, with a SIGHUP reload every 200 ms and without', transport: 'tls', request: 'get', servers: ['bare', 'parapet', 'parapet-reloading'] },
];

export const scenarioProbes = (s: Scenario): Probe[] => s.servers.map((server) => ({ server, transport: s.transport, request: s.request }));

export interface NamedRatio {
  readonly id: string;
  readonly title: string;
  readonly numerator: Probe;
  readonly denominator: Probe;
  readonly kind: 'ratio' | 'cost';
  readonly target?: { readonly atLeast?: number; readonly below?: number };
}

const get = (server: ServerId, transport: TransportName): Probe => ({ server, transport, request: 'get' });
const proxied = (server: ServerId): Probe => ({ server, transport: 'plain', request: 'proxied' });

export const NAMED_RATIOS: readonly NamedRatio[] = [
  { id: 'parapet-vs-bare-plain', title: 'Parapet / bare, plain GET', numerator: get('parapet', 'plain'), denominator: get('bare', 'plain'), kind: 'ratio', target: { atLeast: 0.9 } },
  { id: 'parapet-vs-bare-tls', title: 'Parapet / bare, TLS GET', numerator: get('parapet', 'tls'), denominator: get('bare', 'tls'), kind: 'ratio', target: { atLeast: 0.9 } },
  { id: 'hsts-cost-tls', title: 'HSTS cost over TLS (off → on)', numerator: get('parapet', 'tls'), denominator: get('parapet-hsts-off', 'tls'), kind: 'cost', target: { below: 0.03 } },
  {
    id: 'parapet-vs-bare-preflight',
    title: 'Parapet / bare, CORS preflight',
    numerator: { server: 'parapet', transport: 'plain', request: 'preflight' },
    denominator: { server: 'bare', transport: 'plain', request: 'preflight' },
    kind: 'ratio',
    target: { atLeast: 0.95 },
  },
  {
    id: 'guarded-vs-bare-tls',
    title: 'Parapet guarded / bare, TLS GET /robots.txt',
    numerator: { server: 'parapet-guarded', transport: 'tls', request: 'robots' },
    denominator: { server: 'bare', transport: 'tls', request: 'robots' },
    kind: 'ratio',
    target: { atLeast: 0.85 },
  },
  { id: 'cors-cost-get', title: 'permissive CORS cost on GET (off → on)', numerator: get('parapet', 'plain'), denominator: get('parapet-cors-off', 'plain'), kind: 'cost', target: { below: 0.03 } },
  { id: 'parapet-vs-fastify-plain', title: 'Parapet / fastify, plain GET', numerator: get('parapet', 'plain'), denominator: get('fastify', 'plain'), kind: 'ratio' },
  { id: 'parapet-vs-fastify-tls', title: 'Parapet / fastify, TLS GET', numerator: get('parapet', 'tls'), denominator: get('fastify', 'tls'), kind: 'ratio' },
  { id: 'log-info-cost-plain', title: 'log-level info cost, plain GET (warn → info)', numerator: get('parapet-log-info', 'plain'), denominator: get('parapet', 'plain'), kind: 'cost' },
  { id: 'parapet-info-vs-bare-plain', title: 'Parapet (log-level info) / bare, plain GET', numerator: get('parapet-log-info', 'plain'), denominator: get('bare', 'plain'), kind: 'ratio' },
  { id: 'parapet-proxy-vs-fastify-proxy', title: 'Parapet proxy / fastify proxy, plain GET', numerator: proxied('parapet-proxy'), denominator: proxied('fastify-proxy'), kind: 'ratio', target: { atLeast: 1.0 } },
  { id: 'parapet-proxy-vs-nginx', title: 'Parapet proxy / nginx, plain GET', numerator: proxied('parapet-proxy'), denominator: proxied('nginx'), kind: 'ratio' },
  { id: 'parapet-proxy-vs-upstream', title: 'Parapet proxy / upstream direct, plain GET', numerator: proxied('parapet-proxy'), denominator: proxied('upstream'), kind: 'ratio' },
  {
    id: 'reloading-vs-steady-tls',
    title: 'reloading / steady, TLS GET (SIGHUP every 200 ms)',
    numerator: get('parapet-reloading', 'tls'),
    denominator: get('parapet', 'tls'),
    kind: 'ratio',
    target: { atLeast: 0.8 },
  },
  { id: 'fastify-proxy-vs-upstream', title: 'fastify proxy / upstream direct, plain GET', numerator: proxied('fastify-proxy'), denominator: proxied('upstream'), kind: 'ratio' },
];

/** Within a (transport, request) group, partners in a named ratio stand next to each other. */
const SERVER_ORDER: readonly ServerId[] = [
  'bare',
  'parapet',
  'parapet-guarded',
  'parapet-cors-off',
  'parapet-hsts-off',
  // After hsts-off: the 3% HSTS cost needs its partner closer than the ≥ 0.8 reload ratio does.
  'parapet-reloading',
  'parapet-log-info',
  'fastify',
  'upstream',
  'fastify-proxy',
  'parapet-proxy',
  'nginx',
];

/** Probes measured together: one transport and request, so every named ratio falls within one. */
export interface ProbeGroup {
  readonly probes: readonly Probe[];
  /** Whether the group's servers may be loaded at the same time (see `Scenario.oneAtATime`). */
  readonly together: boolean;
}

/**
 * The probes of the chosen scenarios, without repeats, grouped by transport and request.
 * A group is measured at once when it can be, so that whatever else the machine is doing
 * hits both sides of a ratio alike; otherwise its probes run one after the other, partners
 * next to each other.
 */
export function measuringGroups(scenarios: readonly Scenario[]): ProbeGroup[] {
  const groups = new Map<string, { servers: Set<ServerId>; together: boolean }>();
  for (const s of scenarios) {
    const key = `${s.transport}/${s.request}`;
    const group = groups.get(key) ?? { servers: new Set<ServerId>(), together: true };
    for (const id of s.servers) group.servers.add(id);
    if (s.oneAtATime) group.together = false;
    groups.set(key, group);
  }
  return [...groups].map(([key, { servers, together }]) => {
    const [transport, request] = key.split('/') as [TransportName, RequestKind];
    return { probes: SERVER_ORDER.filter((id) => servers.has(id)).map((server) => ({ server, transport, request })), together };
  });
}

/** A slot's servers are measured at the same time; its key names them in order. */
export const slotKey = (slot: readonly Probe[]): string => slot.map(probeKey).join(' + ');

/**
 * What each run of the load generator covers. In a group measured at once: every pair of
 * servers that a named ratio or a scenario's "vs" column compares, two at a time (more at
 * once would measure the cost of switching between them more than the servers). Otherwise,
 * and everywhere with `oneAtATime`, a single probe.
 */
export function measuringSlots(scenarios: readonly Scenario[], groups: readonly ProbeGroup[], oneAtATime: boolean): Probe[][] {
  return groups.flatMap((g): Probe[][] => {
    if (!g.together || oneAtATime) return g.probes.map((p) => [p]);
    const inGroup = (p: Probe) => g.probes.some((q) => probeKey(q) === probeKey(p));
    const pairs = new Map<string, Probe[]>();
    const add = (yardstick: Probe, other: Probe) => {
      if (!inGroup(yardstick) || !inGroup(other)) return;
      const key = [probeKey(yardstick), probeKey(other)].sort().join(' + ');
      if (!pairs.has(key)) pairs.set(key, [yardstick, other]);
    };
    for (const s of scenarios) {
      const [first, ...others] = scenarioProbes(s);
      for (const other of others) add(first!, other);
    }
    for (const r of NAMED_RATIOS) add(r.denominator, r.numerator);
    return [...pairs.values()];
  });
}

export function selectScenarios(only: readonly string[] | undefined): Scenario[] {
  if (!only || only.length === 0) return [...SCENARIOS];
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return SCENARIOS.filter((s) => only.includes(s.id));
}
