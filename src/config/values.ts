// Stalwart's scalar value formats. Each parser returns undefined on bad input; the reader
// turns that into a diagnostic naming the key, the value and what is accepted.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `5m`, `1h`, `1d`, `250ms`; a bare integer is milliseconds, as in Stalwart. */
export function parseDuration(raw: string): number | undefined {
  // Trimmed first: `\s*` on both sides of the optional unit backtracks quadratically on a long run of spaces.
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) return undefined;
  // The product, not only the count, must be exact: `9007199254740991d` is no duration.
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export interface Rate {
  readonly requests: number;
  readonly periodMs: number;
}

/** `100/1m`: at most 100 requests per minute. */
export function parseRate(raw: string): Rate | undefined {
  const m = /^\s*(\d+)\s*\/\s*(.+)$/.exec(raw);
  if (!m) return undefined;
  const requests = Number(m[1]);
  const periodMs = parseDuration(m[2]!);
  if (!Number.isSafeInteger(requests) || requests <= 0 || !periodMs) return undefined;
  return { requests, periodMs };
}

export function parseBool(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

export function parseInteger(raw: string, min: number, max: number): number | undefined {
  if (!/^\s*-?\d+\s*$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

/** `0.0.0.0:8080`, `[::]:443`, `127.0.0.1:0` (port 0 lets the OS pick, for tests). */
export function parseBind(raw: string): BindAddress | undefined {
  const m = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([A-Za-z0-9.-]+)):(\d{1,5})\s*$/.exec(raw);
  if (!m) return undefined;
  const port = Number(m[4]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? m[3]!, port };
}

export function formatBind(b: BindAddress): string {
  return b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(3, Math.floor(word.length / 3)) ? best : undefined;
}
