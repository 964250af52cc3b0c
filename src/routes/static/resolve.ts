// From a request path to the names looked up under a static route's directory. Pure: the
// file system is only consulted afterwards, and only with segments that passed here.
import { relative, sep } from 'node:path';

export type DecodedPath =
  | {
      readonly ok: true;
      /** Decoded segments, empty ones dropped: `/a//b/` is `['a', 'b']`. */
      readonly segments: readonly string[];
      /** The path ended with `/`: a directory was asked for. */
      readonly trailingSlash: boolean;
    }
  | { readonly ok: false; readonly status: 400 | 404; readonly detail: string };

/**
 * Decodes a path below the route's prefix (`''` or starting with `/`). A segment that could
 * name something other than one entry of one directory is refused with 400: `.` and `..`,
 * an encoded `/` (`%2f`), a backslash (a separator on Windows, and some clients turn it
 * into `/`), and NUL (it truncates paths in C APIs). Checking decoded segments, not the raw
 * string, is what makes `%2e%2e` and `%2E%2e%2f` the same as `..`. Decoding happens once:
 * `%252e` is the literal name `%2e`, never `.`.
 *
 * Dotfiles and dot-directories (`.git`, `.env`) are answered 404, as if absent, except a
 * leading `.well-known` (RFC 8615), which exists to be served.
 */
export function decodePath(path: string): DecodedPath {
  const raw = path.split('/');
  const trailingSlash = raw.length > 1 && raw[raw.length - 1] === '';
  const segments: string[] = [];
  // raw[0] is what precedes the leading `/`: empty for every path the router hands over.
  for (let i = 0; i < raw.length; i++) {
    const encoded = raw[i] as string;
    if (encoded === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(encoded);
    } catch {
      return { ok: false, status: 400, detail: 'the path has a malformed percent-encoding' };
    }
    if (s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0')) {
      return { ok: false, status: 400, detail: 'the path has a dot segment, an encoded slash, a backslash or a NUL' };
    }
    segments.push(s);
  }
  if (isHidden(segments)) return { ok: false, status: 404, detail: 'no such file' };
  return { ok: true, segments, trailingSlash };
}

/** A dotfile or dot-directory anywhere in the path, other than a leading `.well-known`. */
export function isHidden(segments: readonly string[]): boolean {
  return segments.some((s, i) => s.startsWith('.') && !(i === 0 && s === '.well-known'));
}

/**
 * Where a file system path (already resolved by realpath) sits below the real root: its
 * segments, or undefined when it is not inside. Comparing whole segments keeps `/srv/site2`
 * out of a root `/srv/site`.
 */
export function segmentsInside(realRoot: string, realPath: string): string[] | undefined {
  if (realPath === realRoot) return [];
  const rel = relative(realRoot, realPath);
  // A drive (`D:\x`) is how Windows says "elsewhere"; on POSIX `C:` is an ordinary name.
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep) || (sep === '\\' && /^[A-Za-z]:/.test(rel))) return undefined;
  return rel.split(sep);
}

/**
 * The `Location` of the redirect that adds the missing `/` to a directory's path. Segments
 * are re-encoded from their decoded form and empty ones are gone, so the value cannot start
 * with `//` (a protocol-relative URL that would send the browser to another host) nor carry
 * anything but URL characters. A query with anything odd in it is dropped rather than echoed.
 */
export function directoryLocation(prefix: string, segments: readonly string[], query: string): string {
  const path = `${prefix}/${segments.map(encodeURIComponent).join('/')}${segments.length > 0 ? '/' : ''}`;
  const safePath = path.replace(/^[/\\]+/, '/');
  return SAFE_QUERY.test(query) ? `${safePath}${query}` : safePath;
}
const SAFE_QUERY = /^\?[\x21-\x7e]*$/;
