import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigReader } from './reader.js';

/** Forward to another HTTP service. */
export interface ProxyTarget {
  readonly kind: 'proxy';
  /** The upstream's origin (`http://127.0.0.1:8080`); the request's path and query are kept. */
  readonly upstream: URL;
  /** PEM certificates trusted for an `https://` upstream instead of the system store. */
  readonly ca: string | undefined;
  /** Send the client's Host to the upstream (default), or the upstream's own host. */
  readonly preserveHost: boolean;
  readonly connectTimeoutMs: number;
  /** From the request sent to the upstream's response headers. */
  readonly responseTimeoutMs: number;
  /** Between two chunks of the upstream's response body. */
  readonly idleTimeoutMs: number;
}

/** Serve files from a directory. */
export interface StaticTarget {
  readonly kind: 'static';
  /** Absolute path of the directory. */
  readonly root: string;
  /** A file (relative to `root`) answered when nothing else matches: a single-page app's index.html. */
  readonly fallback: string | undefined;
}

export interface RouteSettings {
  readonly id: string;
  /** A path prefix matched on segment boundaries; no trailing slash except `/` itself. */
  readonly path: string;
  /** A lower-cased host name, or `*.domain` for its subdomains; undefined matches any host. */
  readonly host: string | undefined;
  readonly target: ProxyTarget | StaticTarget;
}

/** Parapet's own endpoints: no route may claim them or anything under them. */
export const RESERVED_PATHS = ['/api', '/admin', '/healthz'] as const;

export const ROUTE_DEFAULTS = { connectTimeoutMs: 10_000, responseTimeoutMs: 60_000, idleTimeoutMs: 60_000 } as const;

const PATH_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `[http.route.<id>]` tables: the other web services Parapet puts behind its policy. */
export function readRoutes(r: ConfigReader): RouteSettings[] {
  const routes: RouteSettings[] = [];
  const claimed = new Map<string, string>();
  for (const id of r.children('http.route').sort()) {
    const base = `http.route.${id}`;
    const path = readPath(r, base);
    const host = readHost(r, base);
    const target = readTarget(r, base);
    if (path === undefined || host === null || target === undefined) continue;
    const key = `${host ?? '*'} ${path}`;
    const other = claimed.get(key);
    if (other !== undefined) {
      r.report('CFG_ROUTE_DUPLICATE', `routes \`${other}\` and \`${id}\` both claim \`${path}\`${host ? ` on \`${host}\`` : ''}; give each its own path or host`, `${base}.path`);
      continue;
    }
    claimed.set(key, id);
    routes.push({ id, path, host, target });
  }
  return routes;
}

function readPath(r: ConfigReader, base: string): string | undefined {
  const raw = r.string(`${base}.path`);
  const key = `${base}.path`;
  if (raw === undefined) {
    r.report('CFG_ROUTE_PATH', 'a route needs a `path`, such as `"/jmap"` or `"/"` for everything else', key);
    return undefined;
  }
  const path = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const segments = path.split('/').slice(1);
  const valid = path.startsWith('/') && (path === '/' || segments.every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..'));
  if (!valid) {
    r.report('CFG_ROUTE_PATH', `\`${raw}\` is not a path prefix; expected \`/\` or segments such as \`/jmap\` (no \`..\`, \`%\`, \`?\`, \`#\` or empty segments)`, key);
    return undefined;
  }
  const reserved = RESERVED_PATHS.find((p) => path === p || path.startsWith(`${p}/`));
  if (reserved !== undefined) {
    r.report('CFG_ROUTE_RESERVED', `\`${raw}\` is Parapet's own \`${reserved}/\`; routes may claim any path but ${RESERVED_PATHS.map((p) => `\`${p}/\``).join(', ')}`, key);
    return undefined;
  }
  return path;
}

/** undefined: any host; null: invalid (reported). */
function readHost(r: ConfigReader, base: string): string | undefined | null {
  const raw = r.string(`${base}.host`);
  if (raw === undefined) return undefined;
  const host = raw.trim().toLowerCase().replace(/\.$/, '');
  const labels = (host.startsWith('*.') ? host.slice(2) : host).split('.');
  if (labels.length > 0 && labels.every((l) => HOST_LABEL.test(l))) return host;
  r.report('CFG_ROUTE_HOST', `\`${raw}\` is not a host name; expected e.g. \`mail.example.org\` or \`*.example.org\` (no port, scheme or path)`, `${base}.host`);
  return null;
}

function readTarget(r: ConfigReader, base: string): ProxyTarget | StaticTarget | undefined {
  const upstream = r.string(`${base}.upstream`);
  const dir = r.string(`${base}.static`);
  if ((upstream === undefined) === (dir === undefined)) {
    r.report('CFG_ROUTE_TARGET', upstream === undefined ? 'a route needs `upstream = "http://host:port"` or `static = "/a/directory"`' : 'a route has either `upstream` or `static`, not both', base);
    return undefined;
  }
  return upstream !== undefined ? readProxy(r, base, upstream) : readStatic(r, base, dir!);
}

function readProxy(r: ConfigReader, base: string, raw: string): ProxyTarget | undefined {
  const connectTimeoutMs = r.timeout(`${base}.timeout.connect`, ROUTE_DEFAULTS.connectTimeoutMs);
  const responseTimeoutMs = r.timeout(`${base}.timeout.response`, ROUTE_DEFAULTS.responseTimeoutMs);
  const idleTimeoutMs = r.timeout(`${base}.timeout.idle`, ROUTE_DEFAULTS.idleTimeoutMs);
  const preserveHost = r.bool(`${base}.preserve-host`, true);
  const ca = readCa(r, `${base}.upstream-ca`);
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  const originOnly = url !== undefined && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !originOnly) {
    r.report('CFG_ROUTE_UPSTREAM', `\`${raw}\` is not an upstream origin; expected \`http://host:port\` or \`https://host:port\` (no path, query or credentials: the request's path is forwarded as it is)`, `${base}.upstream`);
    return undefined;
  }
  if (ca !== undefined && url.protocol !== 'https:') {
    r.report('CFG_ROUTE_UPSTREAM', `\`upstream-ca\` is set but \`${raw}\` is not an https:// upstream`, `${base}.upstream-ca`);
  }
  return { kind: 'proxy', upstream: new URL(url.origin), ca, preserveHost, connectTimeoutMs, responseTimeoutMs, idleTimeoutMs };
}

function readCa(r: ConfigReader, key: string): string | undefined {
  const pem = r.string(key);
  if (pem === undefined) return undefined;
  try {
    new X509Certificate(pem);
    return pem;
  } catch (err) {
    const hint = pem.includes('-----BEGIN') ? '' : '; wrap a file path in `%{file:…}%`';
    r.report('CFG_ROUTE_CA', `not a valid PEM certificate (${(err as Error).message})${hint}`, key);
    return undefined;
  }
}

function readStatic(r: ConfigReader, base: string, raw: string): StaticTarget | undefined {
  const fallback = r.string(`${base}.fallback`);
  const root = resolve(raw);
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isAbsolute(raw) || !isDirectory) {
    r.report('CFG_ROUTE_STATIC', `\`${raw}\` is not ${isAbsolute(raw) ? 'a readable directory' : 'an absolute path'}; expected the absolute path of a directory of files`, `${base}.static`);
    return undefined;
  }
  if (fallback !== undefined && (fallback.startsWith('/') || fallback.split(/[\\/]/).some((s) => s === '..' || s === '') || fallback.includes('\0'))) {
    r.report('CFG_ROUTE_STATIC', `\`${fallback}\` is not a file inside the directory; expected a relative path such as \`index.html\``, `${base}.fallback`);
    return undefined;
  }
  return { kind: 'static', root, fallback };
}
