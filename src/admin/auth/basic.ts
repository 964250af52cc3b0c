// Parsing of the `Authorization` request header: the two schemes the management API accepts.

export type Credentials = { kind: 'basic'; user: string; password: string } | { kind: 'bearer'; token: string };

// token68 as RFC 7617 uses it, but only canonical base64: Buffer.from(…, 'base64') silently
// skips stray characters, so validate before decoding or "Zm9v!!" would authenticate as "foo".
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// b64token, RFC 6750 §2.1.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 7617 §2: user-id and password MUST NOT contain control characters (RFC 5234 CTL).
const CONTROL = /[\x00-\x1f\x7f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `Basic <base64(user:password)>` (RFC 7617, UTF-8) or `Bearer <token>` (RFC 6750).
 * The scheme is case-insensitive (RFC 9110 §11.1); surrounding and separating spaces are
 * tolerated. Anything else, including a valid header of another scheme, is `undefined`.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const match = /^[ \t]*([A-Za-z][A-Za-z0-9!#$%&'*+\-.^_`|~]*)[ \t]+(\S+)[ \t]*$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === 'basic') return parseBasic(value);
  if (scheme === 'bearer') return B64TOKEN.test(value) ? { kind: 'bearer', token: value } : undefined;
  return undefined;
}

function parseBasic(encoded: string): Credentials | undefined {
  if (!BASE64.test(encoded)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined; // not UTF-8
  }
  // The user-id cannot contain a colon, so the first one separates; the password may hold more.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (CONTROL.test(user) || CONTROL.test(password)) return undefined;
  return { kind: 'basic', user, password };
}
