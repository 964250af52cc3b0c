// The TOML each Parapet child runs with. Both listeners bind ports chosen by the harness.
import { CONFIGURED_HEADERS } from './contract.js';

export type LogLevel = 'warn' | 'info';

export interface ParapetVariantSettings {
  readonly hsts: boolean;
  readonly permissiveCors: boolean;
  /** `info` logs one line per request; `warn` logs none on the hot path. */
  readonly logLevel: LogLevel;
  /** Three access rules (Stalwart-style) and a rate limit high enough never to refuse the load. */
  readonly guarded?: boolean;
}

// Each rule is evaluated for every request and none refuses the benchmark's.
const ACCESS_RULES = `allowed-endpoint = [
  { if = "starts_with(url_path, '/api') && remote_ip != '127.0.0.1'", then = "404" },
  { if = "listener != 'https' && !contains(['robots.txt', '.well-known', 'healthz'], split(url_path, '/')[1])", then = "404" },
  { if = "method == 'TRACE' || is_ip_in_cidr(remote_ip, '192.0.2.0/24')", then = "403" },
  { else = "200" } ]
`;

// The rate limit still counts every request outside /healthz/ (which is exempt), as the
// default 100/1m does, but never refuses the load.
const RATE_LIMIT = `
[http.rate-limit]
anonymous = "1000000000/1m"
`;

export interface ParapetConfigInput {
  readonly settings: ParapetVariantSettings;
  readonly plainPort: number;
  readonly tlsPort: number;
  readonly certPath: string;
  readonly keyPath: string;
  readonly dataDir: string;
  /**
   * The proxy scenario: a route `path = "/"` forwarding to this origin, and the rate limit
   * raised as for `guarded` (the default 100/1m would refuse the load). Parapet still answers
   * its own `/healthz/…` itself, so the proxied request uses another path.
   */
  readonly upstream?: string;
}

const str = (s: string): string => JSON.stringify(s);

export function parapetToml(c: ParapetConfigInput): string {
  const headers = CONFIGURED_HEADERS.map(([name, value]) => str(`${titleCase(name)}: ${value}`)).join(', ');
  return `[server]
log-level = ${str(c.settings.logLevel)}
data-dir = ${str(c.dataDir)}

[server.listener.http]
protocol = "http"
bind = "127.0.0.1:${c.plainPort}"

[server.listener.https]
protocol = "http"
bind = "127.0.0.1:${c.tlsPort}"
tls.implicit = true

[certificate.bench]
cert = ${str(`%{file:${c.certPath}}%`)}
private-key = ${str(`%{file:${c.keyPath}}%`)}
default = true

[http]
hsts = ${c.settings.hsts}
# Plain-HTTP GETs are measured, so they must be served rather than redirected.
hsts-redirect = false
permissive-cors = ${c.settings.permissiveCors}
headers = [${headers}]
${c.settings.guarded ? ACCESS_RULES : ''}${c.settings.guarded || c.upstream !== undefined ? RATE_LIMIT : ''}${c.upstream === undefined ? '' : route(c.upstream)}`;
}

function route(upstream: string): string {
  return `
[http.route.up]
path = "/"
upstream = ${str(upstream)}
`;
}

/** `x-content-type-options` → `X-Content-Type-Options`, as an operator would write it. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
