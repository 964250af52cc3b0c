import type { RouteSettings } from '../config/routes.js';

/**
 * Which route serves a request: the longest `path` prefix (on segment boundaries) among the
 * routes whose `host` matches; at equal length an exact host beats a `*.domain` pattern,
 * which beats a route for any host.
 */
export class RouteTable {
  private readonly ordered: readonly RouteSettings[];

  constructor(readonly routes: readonly RouteSettings[]) {
    const rank = (r: RouteSettings) => (r.host === undefined ? 0 : r.host.startsWith('*.') ? 1 : 2);
    this.ordered = [...routes].sort((a, b) => b.path.length - a.path.length || rank(b) - rank(a));
  }

  get size(): number {
    return this.ordered.length;
  }

  /** `hostname`: the request's host, lower-cased, without port (undefined when it sent none). */
  match(hostname: string | undefined, path: string): RouteSettings | undefined {
    for (const r of this.ordered) {
      if (underPrefix(path, r.path) && hostMatches(r.host, hostname)) return r;
    }
    return undefined;
  }
}

export function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */);
}

function hostMatches(pattern: string | undefined, hostname: string | undefined): boolean {
  if (pattern === undefined) return true;
  if (hostname === undefined) return false;
  if (pattern.startsWith('*.')) return hostname.length > pattern.length - 1 && hostname.endsWith(pattern.slice(1));
  return hostname === pattern;
}

/** The request path below the route's prefix: always `''` or starting with `/`. */
export function pathBelow(route: RouteSettings, path: string): string {
  return route.path === '/' ? path : path.slice(route.path.length);
}

/**
 * Dot segments (`.`, `..`, also percent-encoded), backslashes and encoded NULs: browsers never
 * send them (they normalise URLs first), and a service behind Parapet might resolve them to a
 * path outside the route. Requests carrying them are refused before any route sees them.
 */
export function isUnsafePath(path: string): boolean {
  return UNSAFE_PATH.test(path);
}
const UNSAFE_PATH = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\|%5c|%00/i;
