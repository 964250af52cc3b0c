/**
 * A request target in absolute form (`GET http://mail.example.org/jmap HTTP/1.1`), which a
 * server must accept (RFC 9112 §3.2.2): the host comes from the URI, not the Host header,
 * and the rest is served as the origin form (`/jmap`). Undefined for any other form.
 */
export function absoluteForm(target: string): { readonly authority: string; readonly originForm: string } | undefined {
  const m = ABSOLUTE.exec(target);
  if (!m) return undefined;
  const rest = m[2] ?? '';
  return { authority: m[1]!, originForm: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)([/?][^#]*)?$/i;
