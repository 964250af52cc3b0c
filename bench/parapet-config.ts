// The TOML each Parapet child runs with. Both listeners bind ports chosen by the harness.
import { CONFIGURED_HEADERS } from './contract.js';

export type LogLevel = 'warn' | 'info';

export interface ParapetVariantSettings {
  readonly hsts: boolean;
  readonly permissiveCors: boolean;
  /** `info` logs one line per request; `warn` logs none on the hot path. */
  readonly logLevel: LogLevel;
}

export interface ParapetConfigInput {
  readonly settings: ParapetVariantSettings;
  readonly plainPort: number;
  readonly tlsPort: number;
  readonly certPath: string;
  readonly keyPath: string;
  readonly dataDir: string;
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
`;
}

/** `x-content-type-options` → `X-Content-Type-Options`, as an operator would write it. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
