// Content negotiation for static files: which precompressed variant to send (Accept-Encoding,
// RFC 9110 §12.5.3) and whether a request wants HTML (Accept, §12.5.1). Pure.

export type Coding = 'br' | 'gzip';

/**
 * The variant to send among those present: the coding with the highest `q`, `br` on a tie
 * (it is smaller for the same content). A coding the header does not list, directly or by
 * `*`, is not acceptable, and `q=0` means "not acceptable". Without an Accept-Encoding header
 * the identity is sent: RFC 9110 would allow any coding then, but clients that send nothing
 * (curl, scripts) mostly cannot decode one.
 */
export function chooseCoding(acceptEncoding: string | string[] | undefined, available: { readonly br: boolean; readonly gzip: boolean }): Coding | undefined {
  if (acceptEncoding === undefined || (!available.br && !available.gzip)) return undefined;
  const weights = qualities(Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding);
  const star = weights.get('*') ?? 0;
  const br = available.br ? (weights.get('br') ?? star) : 0;
  const gzip = available.gzip ? (weights.get('gzip') ?? weights.get('x-gzip') ?? star) : 0;
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}

/** Whether `Accept` lists `text/html` itself with a non-zero `q` (not merely through `*\/*`). */
export function asksForHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return (qualities(accept).get('text/html') ?? 0) > 0;
}

/** `name;q=0.5, other` as lower-cased name → q (1 when absent, 0 when malformed). */
function qualities(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const element of header.split(',')) {
    const [name = '', ...params] = element.split(';');
    const key = name.trim().toLowerCase();
    if (key === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = qvalue(m[1] as string);
      else if (/^\s*q\s*=/i.test(p)) q = 0;
    }
    // RFC 9110 does not say what a name listed twice means; its highest q counts here.
    out.set(key, Math.max(q, out.get(key) ?? 0));
  }
  return out;
}

function qvalue(s: string): number {
  if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(s)) return 0;
  return Number(s);
}
