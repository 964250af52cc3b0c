// Every config error, warning and info line Parapet can print has a stable code here.
// Tests assert codes, never message text; the README's table is generated from this list.

export type Severity = 'error' | 'warning' | 'info';

export const CODES = {
  CFG_FILE_UNREADABLE: ['error', 'The config file cannot be read'],
  CFG_TOML_SYNTAX: ['error', 'The file is not valid TOML; the message gives file:line:column'],
  CFG_LISTENER_ARRAY: ['error', '`[[server.listener]]` array of tables; listeners are named tables `[server.listener.<id>]`'],
  CFG_MACRO_ENV_MISSING: ['error', '`%{env:NAME}%` names an environment variable that is not set'],
  CFG_MACRO_FILE_MISSING: ['error', '`%{file:PATH}%` names a file that cannot be read'],
  CFG_MACRO_UNKNOWN: ['error', 'A `%{…}%` macro other than `env` or `file`'],
  CFG_SHELL_PLACEHOLDER: ['warning', 'A `$VAR` placeholder, which is not expanded; use `%{env:VAR}%`'],
  CFG_DEPRECATED_KEY: ['warning', 'A key under `server.http.*` (Stalwart before 0.12); it is honoured, under its new name'],
  CFG_ALIAS_CONFLICT: ['error', 'A key set both under `server.http.*` and under its new name `http.*`'],
  CFG_UNKNOWN_KEY: ['warning', 'A key Parapet does not know inside a section it serves; the closest known key is suggested'],
  CFG_MISPLACED_KEY: ['warning', 'A key in a namespace Stalwart never reads; the message names where it belongs'],
  CFG_IGNORED_SECTIONS: ['info', 'Sections Parapet does not serve (stores, tracers, SMTP/IMAP listeners…), skipped'],
  CFG_INVALID_BOOL: ['error', 'A value that must be `true` or `false`'],
  CFG_INVALID_INTEGER: ['error', 'A value that must be a whole number in a range'],
  CFG_INVALID_DURATION: ['error', 'A value that must be a duration such as `30s`, `5m`, `1d` (a timeout: at most 24 days)'],
  CFG_INVALID_RATE: ['error', 'A value that must be a rate such as `100/1m`'],
  CFG_INVALID_URL: ['error', 'A value that must be an absolute http(s) URL'],
  CFG_INVALID_CIDR: ['error', 'A value that must be an IP address or CIDR range'],
  CFG_INVALID_LOG_LEVEL: ['error', 'A log level other than trace, debug, info, warn, error'],
  CFG_LISTENER_BIND: ['error', 'A listener bind address that is not `host:port` (`0.0.0.0:8080`, `[::]:443`)'],
  CFG_LISTENER_NO_BIND: ['error', 'An HTTP listener without `bind`'],
  CFG_LISTENER_PROTOCOL: ['error', 'A listener protocol Stalwart does not know (`jmap` is gone since 0.7: use `http`)'],
  CFG_LISTENER_DUPLICATE_BIND: ['error', 'Two listeners bound to the same address and port'],
  CFG_LISTENER_TLS_FLAG: ['warning', '`tls = true` on a listener; Stalwart reads `tls.implicit = true`'],
  CFG_NO_HTTP_LISTENER: ['error', 'No listener with `protocol = "http"`, so there is nothing to serve'],
  CFG_CERT_BARE_PATH: ['error', 'A certificate or key given as a bare file path; wrap it in `%{file:…}%`'],
  CFG_CERT_INVALID: ['error', 'A certificate that is not valid PEM'],
  CFG_CERT_KEY_INVALID: ['error', 'A private key that is not valid PEM'],
  CFG_CERT_KEY_MISMATCH: ['error', 'A private key that does not belong to its certificate'],
  CFG_CERT_MISSING_PART: ['error', 'A certificate without `cert` or without `private-key`'],
  CFG_CERT_EXPIRED: ['warning', 'A certificate whose validity has ended'],
  CFG_CERT_MULTIPLE_DEFAULT: ['error', 'More than one certificate marked `default = true`'],
  CFG_TLS_SELF_SIGNED: ['warning', 'A TLS listener with no certificate configured; a self-signed one is used'],
  CFG_HEADER_SYNTAX: ['error', 'An `http.headers` entry that is not `"Name: value"`'],
  CFG_HEADER_NAME: ['error', 'An `http.headers` name that is not an RFC 9110 token'],
  CFG_HEADER_VALUE: ['error', 'An `http.headers` value containing CR, LF, NUL or another character a header value cannot hold (control characters, characters beyond U+00FF)'],
  CFG_HEADER_MANAGED: ['warning', 'An `http.headers` entry naming a header that HSTS or CORS manages; the security setting wins'],
  CFG_HEADER_FORBIDDEN: ['error', 'An `http.headers` entry naming a header the server sets per response (Content-Length, Connection, Content-Type, Location…)'],
  CFG_FORWARDED_UNTRUSTED: ['warning', '`http.use-x-forwarded` without `http.trusted-proxies`: any client can spoof its IP and protocol'],
  CFG_HSTS_PRELOAD: ['error', '`http.hsts-preload` without max-age ≥ 1 year and includeSubDomains (hstspreload.org rules)'],
  CFG_HSTS_UNDELIVERABLE: ['warning', 'HSTS is on but no response can carry it: no TLS listener and no trusted forwarded protocol'],
  CFG_HSTS_SHORT_MAX_AGE: ['warning', 'HSTS max-age shorter than one day protects little'],
  CFG_CORS_CONFLICT: ['error', '`http.permissive-cors` and `http.cors.allowed-origins` both set'],
  CFG_CORS_ORIGIN: ['error', 'An `http.cors.allowed-origins` entry that is not an origin or `https://*.domain` pattern'],
  CFG_CORS_WILDCARD_CREDENTIALS: ['error', '`http.cors.allow-credentials` without an origin allowlist (never with `*`)'],
  CFG_CORS_TOKEN: ['error', 'A CORS method or header name that is not an RFC 9110 token'],
  CFG_CORS_UNUSED: ['warning', '`http.cors.*` settings while CORS is off'],
  CFG_ROUTE_PATH: ['error', 'A route `path` missing or not a path prefix such as `/jmap` or `/`'],
  CFG_ROUTE_RESERVED: ['error', 'A route `path` that claims Parapet\'s own `/api/`, `/admin/` or `/healthz/`'],
  CFG_ROUTE_DUPLICATE: ['error', 'Two routes with the same `path` and `host`'],
  CFG_ROUTE_HOST: ['error', 'A route `host` that is not a host name or `*.domain` pattern'],
  CFG_ROUTE_TARGET: ['error', 'A route with neither or both of `upstream` and `static`'],
  CFG_ROUTE_UPSTREAM: ['error', 'A route `upstream` that is not an `http://` or `https://` origin'],
  CFG_ROUTE_CA: ['error', 'A route `upstream-ca` that is not a valid PEM certificate'],
  CFG_ROUTE_STATIC: ['error', 'A route `static` directory that does not exist, or a `fallback` outside it'],
  CFG_ADMIN_INCOMPLETE: ['error', 'A fallback admin with `user` but no `secret`, or the other way round'],
  CFG_EXPRESSION_SYNTAX: ['error', 'An expression (`http.allowed-endpoint`, `http.url`) that does not compile; the message gives the column and the expression'],
} as const satisfies Record<string, readonly [Severity, string]>;

export type Code = keyof typeof CODES;

export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  readonly key?: string;
  readonly message: string;
}

export function diagnostic(code: Code, message: string, key?: string): Diagnostic {
  const severity = CODES[code][0];
  return key === undefined ? { code, severity, message } : { code, severity, key, message };
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity} ${d.code}${d.key ? ` [${d.key}]` : ''}: ${d.message}`;
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');
