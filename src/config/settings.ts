import { hostname as systemHostname } from 'node:os';
import { join } from 'node:path';
import { parseCidr, type Cidr } from '../net/ip.js';
import { parseHeaderEntry } from '../policy/headers/index.js';
import { preloadProblems, ONE_YEAR_SECONDS, type HstsSettings } from '../policy/hsts/index.js';
import { parseOriginEntry, type SubdomainPattern } from '../policy/cors/origin.js';
import type { CorsSettings } from '../policy/cors/index.js';
import { TOKEN } from '../policy/headers/index.js';
import { readCertificates, type CertificateSettings } from './certificates.js';
import { readListeners, type ListenerSettings } from './listeners.js';
import { readRoutes, type RouteSettings } from './routes.js';
import type { IpListSettings } from '../policy/access/ip-lists.js';
import type { RateLimitSettings } from '../policy/ratelimit/index.js';
import type { Rate } from './values.js';
import { compile, compileRules, HTTP_VARIABLES, type CompiledExpr, type CompiledRules, type RuleError } from '../expr/index.js';
import type { ConfigReader } from './reader.js';
import { parseDuration } from './values.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface ServerSettings {
  readonly hostname: string;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
}

export interface LimitSettings {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
  /** `http.limits.uri-size`: the longest request target (path and query) accepted, else 414. */
  readonly maxUriBytes: number;
}

export interface ForwardedSettings {
  readonly useXForwarded: boolean;
  /** undefined when `http.trusted-proxies` is not set (Stalwart's trust-everyone behaviour). */
  readonly trustedProxies: readonly Cidr[] | undefined;
}

export interface HttpSettings {
  readonly url: URL | undefined;
  /** `http.url` in Stalwart's expression form, evaluated per request where it is needed. */
  readonly urlExpression: CompiledExpr | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly forwarded: ForwardedSettings;
  readonly hsts: HstsSettings;
  readonly cors: CorsSettings;
  readonly limits: LimitSettings;
  /** `[http.route.<id>]`: services hosted behind the policy. */
  readonly routes: readonly RouteSettings[];
}

export interface AccessSettings {
  /** `http.allowed-endpoint`: a status code per request; 200 lets it through. */
  readonly allowedEndpoint: CompiledRules | undefined;
  readonly ipLists: IpListSettings;
  readonly rateLimit: RateLimitSettings;
}

export interface AdminSettings {
  /** `authentication.fallback-admin.user` / `.secret` (plain text or a hash). */
  readonly fallbackAdmin: { readonly user: string; readonly secret: string } | undefined;
  /** `server.auto-ban.auth.rate`: failed logins per IP before a ban. */
  readonly authBanRate: Rate;
  /** How long a banned address stays banned (`server.auto-ban.auth.duration`, Parapet's). */
  readonly authBanMs: number;
  /** The embedded store (`server.store-path`, default `<data-dir>/parapet.db`). */
  readonly storePath: string;
  /** Lifetime of a login token (`authentication.token.lifetime`, Parapet's). */
  readonly tokenTtlMs: number;
}

export interface Settings {
  readonly admin: AdminSettings;
  readonly server: ServerSettings;
  readonly listeners: readonly ListenerSettings[];
  readonly certificates: readonly CertificateSettings[];
  readonly http: HttpSettings;
  readonly access: AccessSettings;
}

export function readSettings(r: ConfigReader): Settings {
  const server = readServer(r);
  const listeners = readListeners(r);
  const certificates = readCertificates(r);
  const http = readHttp(r);
  const access = readAccess(r);
  const admin = readAdmin(r, server);
  readRecognisedButNotEnforced(r);
  return { admin, server, listeners, certificates, http, access };
}

function readServer(r: ConfigReader): ServerSettings {
  const logLevel = r.string('server.log-level', 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    r.report('CFG_INVALID_LOG_LEVEL', `\`${logLevel}\` is not a log level; expected one of ${LOG_LEVELS.join(', ')}`, 'server.log-level');
  }
  return {
    hostname: r.string('server.hostname') || systemHostname(),
    dataDir: r.string('server.data-dir', './data'),
    logLevel: LOG_LEVELS.includes(logLevel as LogLevel) ? (logLevel as LogLevel) : 'info',
    shutdownTimeoutMs: r.timeout('server.shutdown-timeout', 10_000),
  };
}

function readHttp(r: ConfigReader): HttpSettings {
  const url = readUrl(r);
  return {
    ...url,
    headers: readHeaders(r),
    forwarded: readForwarded(r),
    hsts: readHsts(r),
    cors: readCors(r),
    limits: {
      headersTimeoutMs: r.timeout('http.timeout.headers', 20_000),
      requestTimeoutMs: r.timeout('http.timeout.request', 300_000),
      keepAliveTimeoutMs: r.timeout('http.timeout.keep-alive', 5_000),
      maxHeaderBytes: r.integer('http.limits.header-size', 16_384, 1_024, 1_048_576),
      maxUriBytes: r.integer('http.limits.uri-size', 8_192, 256, 1_048_576),
    },
    routes: readRoutes(r),
  };
}

function readUrl(r: ConfigReader): { url: URL | undefined; urlExpression: CompiledExpr | undefined } {
  const none = { url: undefined, urlExpression: undefined };
  const raw = r.string('http.url');
  if (raw === undefined || raw.trim() === '') return none;
  // Stalwart also takes an expression here: `protocol + '://' + config_get('server.hostname')`.
  if (!/^[a-z]+:\/\//i.test(raw.trim())) {
    const compiled = compile(raw, { variables: HTTP_VARIABLES });
    if (compiled.ok) return { url: undefined, urlExpression: compiled.expr };
    reportExpressionError(r, { key: 'http.url', expression: raw, message: compiled.error.message, column: compiled.error.column });
    return none;
  }
  try {
    const url = new URL(raw.trim());
    if (url.protocol === 'http:' || url.protocol === 'https:') return { url, urlExpression: undefined };
  } catch {
    /* reported below */
  }
  r.report('CFG_INVALID_URL', `\`${raw}\` is not an absolute http(s) URL such as \`https://mail.example.com\``, 'http.url');
  return none;
}

function reportExpressionError(r: ConfigReader, e: Pick<RuleError, 'key' | 'message' | 'expression' | 'column'>): void {
  const where = e.expression !== undefined ? ` in \`${e.expression}\`${e.column !== undefined ? ` at column ${e.column}` : ''}` : '';
  r.report('CFG_EXPRESSION_SYNTAX', `${e.message}${where}`, e.key);
}

function readAllowedEndpoint(r: ConfigReader): CompiledRules | undefined {
  const key = 'http.allowed-endpoint';
  if (!r.has(key)) return undefined;
  const result = compileRules(key, { get: (k) => r.raw(k), keys: () => r.flat.keys() }, { variables: HTTP_VARIABLES });
  r.consumePrefix(key);
  if (!result.ok) {
    for (const e of result.errors) reportExpressionError(r, e);
    return undefined;
  }
  return result.rules;
}

function readHeaders(r: ConfigReader): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of r.list('http.headers')) {
    const parsed = parseHeaderEntry(entry);
    if (!parsed.ok) {
      const code = { syntax: 'CFG_HEADER_SYNTAX', name: 'CFG_HEADER_NAME', value: 'CFG_HEADER_VALUE', 'server-owned': 'CFG_HEADER_FORBIDDEN' } as const;
      r.report(code[parsed.problem], parsed.message, 'http.headers');
      continue;
    }
    if (parsed.managedBy) {
      r.report('CFG_HEADER_MANAGED', `\`${parsed.name}\` is managed by ${parsed.managedBy}; this entry is not sent, configure that setting instead`, 'http.headers');
      continue;
    }
    out.push([parsed.name, parsed.value]);
  }
  return out;
}

function readForwarded(r: ConfigReader): ForwardedSettings {
  const useXForwarded = r.bool('http.use-x-forwarded', false);
  let trustedProxies: Cidr[] | undefined;
  if (r.has('http.trusted-proxies')) {
    trustedProxies = [];
    for (const entry of r.list('http.trusted-proxies')) {
      const cidr = parseCidr(entry);
      if (cidr) trustedProxies.push(cidr);
      else r.report('CFG_INVALID_CIDR', `\`${entry}\` is not an IP address or CIDR range such as \`10.0.0.0/8\` or \`::1\``, 'http.trusted-proxies');
    }
  }
  if (useXForwarded && trustedProxies === undefined) {
    r.report(
      'CFG_FORWARDED_UNTRUSTED',
      'forwarded headers are believed from every client, so anyone can choose the IP that rate limits and access rules see; list your proxies in `http.trusted-proxies`',
      'http.use-x-forwarded',
    );
  }
  return { useXForwarded, trustedProxies };
}

/** Max-age keys take a duration; a bare number means seconds here, as in the header itself. */
function maxAgeSeconds(r: ConfigReader, key: string, fallbackSeconds: number): number {
  const raw = r.string(key);
  if (raw === undefined) return fallbackSeconds;
  const seconds = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Math.floor((parseDuration(raw) ?? NaN) / 1000);
  // Sent as digits (`max-age=31536000`): a number past 2^53 is not exact and prints as `1e+23`.
  if (!Number.isSafeInteger(seconds)) {
    r.report('CFG_INVALID_DURATION', `\`${raw}\` is not valid; expected a duration such as \`365d\` or a number of seconds`, key);
    return fallbackSeconds;
  }
  return seconds;
}

function readHsts(r: ConfigReader): HstsSettings {
  const s: HstsSettings = {
    enabled: r.bool('http.hsts', false),
    maxAgeSeconds: maxAgeSeconds(r, 'http.hsts-max-age', ONE_YEAR_SECONDS),
    includeSubDomains: r.bool('http.hsts-include-subdomains', true),
    preload: r.bool('http.hsts-preload', false),
    redirect: r.bool('http.hsts-redirect', true),
  };
  const problems = preloadProblems(s);
  if (problems.length > 0) {
    r.report('CFG_HSTS_PRELOAD', `preload cannot be requested: ${problems.join('; ')} (hstspreload.org)`, 'http.hsts-preload');
  }
  if (s.enabled && s.maxAgeSeconds < 86_400) {
    r.report('CFG_HSTS_SHORT_MAX_AGE', `max-age of ${s.maxAgeSeconds}s protects little; browsers forget the policy that soon`, 'http.hsts-max-age');
  }
  return s;
}

function readTokenList(r: ConfigReader, key: string): string[] | undefined {
  if (!r.has(key)) return undefined;
  const out: string[] = [];
  for (const entry of r.list(key)) {
    for (const item of entry.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (item === '*' || TOKEN.test(item)) out.push(item);
      else r.report('CFG_CORS_TOKEN', `\`${item}\` is not a method or header name (an RFC 9110 token) nor \`*\``, key);
    }
  }
  return out;
}

function readCors(r: ConfigReader): CorsSettings {
  const permissive = r.bool('http.permissive-cors', false);
  const exactOrigins: string[] = [];
  const patterns: SubdomainPattern[] = [];
  const hasAllowlist = r.has('http.cors.allowed-origins');
  for (const entry of r.list('http.cors.allowed-origins')) {
    const parsed = parseOriginEntry(entry);
    if (!parsed.ok) r.report('CFG_CORS_ORIGIN', parsed.message, 'http.cors.allowed-origins');
    else if (parsed.kind === 'exact') exactOrigins.push(parsed.origin);
    else patterns.push(parsed.pattern);
  }
  if (permissive && hasAllowlist) {
    r.report(
      'CFG_CORS_CONFLICT',
      '`http.permissive-cors = true` allows every origin while `http.cors.allowed-origins` lists some; remove one (keep the allowlist to restrict origins)',
      'http.cors.allowed-origins',
    );
  }
  const allowCredentials = r.bool('http.cors.allow-credentials', false);
  const mode = permissive ? 'permissive' : hasAllowlist ? 'allowlist' : 'off';
  if (allowCredentials && mode !== 'allowlist') {
    r.report(
      'CFG_CORS_WILDCARD_CREDENTIALS',
      mode === 'permissive'
        ? 'credentials cannot be allowed for every origin (`*`); list the origins in `http.cors.allowed-origins` instead of `http.permissive-cors`'
        : 'credentials need an origin allowlist: set `http.cors.allowed-origins`',
      'http.cors.allow-credentials',
    );
  }
  const settings: CorsSettings = {
    mode,
    exactOrigins,
    patterns,
    allowCredentials: allowCredentials && mode === 'allowlist',
    allowedMethods: readTokenList(r, 'http.cors.allowed-methods')?.map((m) => (m === '*' ? m : m.toUpperCase())),
    allowedHeaders: readTokenList(r, 'http.cors.allowed-headers'),
    exposeHeaders: readTokenList(r, 'http.cors.expose-headers') ?? [],
    maxAgeSeconds: maxAgeSeconds(r, 'http.cors.max-age', 7200),
  };
  if (mode === 'off' && r.children('http.cors').some((k) => k !== 'allowed-origins')) {
    r.report('CFG_CORS_UNUSED', '`http.cors.*` settings have no effect while CORS is off; set `http.cors.allowed-origins` or `http.permissive-cors`', 'http.cors');
  }
  return settings;
}

function readAccess(r: ConfigReader): AccessSettings {
  const ipList = (prefix: string): Cidr[] => {
    const out: Cidr[] = [];
    for (const entry of r.suffixes(prefix)) {
      const cidr = parseCidr(entry);
      if (cidr) out.push(cidr);
      else r.report('CFG_INVALID_CIDR', `\`${entry}\` is not an IP address or CIDR range; write e.g. \`[${prefix}] "192.0.2.1" = ""\``, `${prefix}.${entry}`);
    }
    return out;
  };
  return {
    allowedEndpoint: readAllowedEndpoint(r),
    ipLists: { blocked: ipList('server.blocked-ip'), allowed: ipList('server.allowed-ip') },
    rateLimit: {
      anonymous: r.rate('http.rate-limit.anonymous', { requests: 100, periodMs: 60_000 }),
      account: r.rate('http.rate-limit.account', { requests: 1000, periodMs: 60_000 }),
    },
  };
}

function readAdmin(r: ConfigReader, server: ServerSettings): AdminSettings {
  const user = r.string('authentication.fallback-admin.user');
  const secret = r.string('authentication.fallback-admin.secret');
  if ((user === undefined) !== (secret === undefined)) {
    r.report('CFG_ADMIN_INCOMPLETE', 'the fallback admin needs both `user` and `secret`', 'authentication.fallback-admin');
  }
  return {
    fallbackAdmin: user && secret ? { user, secret } : undefined,
    authBanRate: r.rate('server.auto-ban.auth.rate', { requests: 100, periodMs: 86_400_000 }),
    authBanMs: r.duration('server.auto-ban.auth.duration', 3_600_000),
    storePath: r.string('server.store-path') ?? join(server.dataDir, 'parapet.db'),
    tokenTtlMs: r.duration('authentication.token.lifetime', 3_600_000),
  };
}

/** The rest of Stalwart's `authentication.*` (directories, OAuth…) is not Parapet's business. */
function readRecognisedButNotEnforced(r: ConfigReader): void {
  r.consumePrefix('authentication');
}
