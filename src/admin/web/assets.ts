// The built webadmin (dist/webadmin/, from `vite build webadmin`), read into memory once at
// server start so that `decide` can answer /admin/ synchronously, without touching the disk.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedList } from '../../net/header-list.js';

export interface WebAsset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** The admin headers plus this file's ETag and caching, frozen for the answer. */
  readonly headers: readonly string[];
}

/** Files by their path under /admin/ (`index.html`, `assets/index-….js`). */
export type WebAdminAssets = ReadonlyMap<string, WebAsset>;

/** Where the build writes: dist/webadmin/, next to this module's dist/src/. */
export const WEBADMIN_DIR = fileURLToPath(new URL('../../../webadmin/', import.meta.url));

export const ADMIN_CSP = "default-src 'self'; connect-src *; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Sent with every /admin/ answer, the 503 and 404s included. */
export const ADMIN_HEADERS: readonly string[] = sharedList(['content-security-policy', ADMIN_CSP, 'x-content-type-options', 'nosniff', 'referrer-policy', 'no-referrer']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Reads every file under `dir`; undefined when the webadmin was not built (no index.html). */
export function loadWebAdmin(dir: string = WEBADMIN_DIR): WebAdminAssets | undefined {
  const files = new Map<string, WebAsset>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const body = readFileSync(p);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        const rel = relative(dir, p).split(sep).join('/');
        // Vite names assets by content hash: they may be cached for good; index.html may not.
        const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
        const headers = sharedList([...ADMIN_HEADERS, 'etag', etag, 'cache-control', cache]);
        files.set(rel, { body, type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream', etag, headers });
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return undefined;
  }
  return files.has('index.html') ? files : undefined;
}

let cached: { assets: WebAdminAssets | undefined } | undefined;

/** The assets as loaded at server start (or loaded now, once, for `parapet explain`). */
export function webAdminAssets(): WebAdminAssets | undefined {
  cached ??= { assets: loadWebAdmin() };
  return cached.assets;
}

/** Loads the build afresh (server start) and remembers it for {@link webAdminAssets}. */
export function reloadWebAdmin(dir?: string): WebAdminAssets | undefined {
  cached = { assets: loadWebAdmin(dir) };
  return cached.assets;
}
