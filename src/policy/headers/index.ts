// `http.headers`: Stalwart's `"Name: value"` strings, added to every response.

export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Headers the HTTP layer itself owns: setting them by hand breaks framing or HTTP/2. */
// Framing and connection fields, and the ones that describe one response's body or target:
// a fixed value for those would be wrong on every other response (an error's problem+json
// labelled text/html, a file's validators on a redirect).
const SERVER_OWNED = new Set([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'host', 'te', 'trailer', 'proxy-connection', 'date',
  'content-type', 'content-encoding', 'content-range', 'location', 'etag', 'last-modified',
]);

export type HeaderEntryResult =
  | { readonly ok: true; readonly name: string; readonly value: string; readonly managedBy: string | undefined }
  | { readonly ok: false; readonly problem: 'syntax' | 'name' | 'value' | 'server-owned'; readonly message: string };

export function parseHeaderEntry(entry: string): HeaderEntryResult {
  const colon = entry.indexOf(':');
  if (colon < 0) return { ok: false, problem: 'syntax', message: `\`${printable(entry)}\` is not \`"Name: value"\`` };
  const name = entry.slice(0, colon).trim();
  const value = entry.slice(colon + 1).trim();
  if (!TOKEN.test(name)) {
    return { ok: false, problem: 'name', message: `header name \`${printable(name)}\` is not an RFC 9110 token (letters, digits and !#$%&'*+-.^_\`|~ only)` };
  }
  // What node's writeHead accepts (any other character throws on every response); CR, LF and
  // NUL among the refused ones would split the response.
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    return { ok: false, problem: 'value', message: `the value of \`${name}\` contains CR, LF, NUL or another character a header value cannot hold (control characters, characters beyond U+00FF)` };
  }
  const lower = name.toLowerCase();
  if (SERVER_OWNED.has(lower)) {
    return { ok: false, problem: 'server-owned', message: `\`${name}\` is set by the server itself and cannot be added by hand` };
  }
  return { ok: true, name: lower, value, managedBy: managedBy(lower) };
}

/** The setting that owns a header, when HSTS or CORS does. */
export function managedBy(lowerName: string): string | undefined {
  if (lowerName === 'strict-transport-security') return 'http.hsts';
  if (lowerName.startsWith('access-control-')) return 'http.permissive-cors / http.cors.*';
  return undefined;
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
