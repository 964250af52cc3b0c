/**
 * Values and their coercions, as Stalwart's expression engine defines them
 * (`crates/common/src/expr/eval.rs`, `Variable`): a value is a string, a 64-bit integer,
 * a float or an array. There is no boolean type: `true` is the integer 1, `false` is 0,
 * and every comparison or logical operator answers 1 or 0.
 *
 * Integers are JS numbers holding whole values, saturated to the i64 range as Stalwart
 * saturates them; above 2^53 they lose precision (nothing in HTTP comes near). Floats are
 * boxed in `Float` so that `5 / 1` (a float) and `5` (an integer) stay distinguishable,
 * which matters for `is_number`, indexing and how a result converts.
 */

export class Float {
  constructor(readonly value: number) {}
}

export type Value = string | number | Float | readonly Value[];

export const I64_MAX = 9_223_372_036_854_775_807;
export const I64_MIN = -9_223_372_036_854_775_808;

/** Whole-number result of integer arithmetic, saturated like Rust's `saturating_*`. */
export const int = (n: number): number => (n > I64_MAX ? I64_MAX : n < I64_MIN ? I64_MIN : n === 0 ? 0 : n);

export const isArray = (v: Value): v is readonly Value[] => Array.isArray(v);

/** Stalwart's `to_bool`: the empty string, 0, 0.0 and the empty array are false. */
export function truthy(v: Value): boolean {
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof Float) return v.value !== 0; // NaN is true, as `NaN != 0.0` in Rust
  return v.length > 0;
}

/** Rust's `Display` for f64: shortest round-trip digits, never exponent notation. */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const point = m[2]!.length + Number(m[4]);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function formatInt(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  // i64::MAX saturates to 2^63 as a double; show it as the integer it stands for.
  return n >= I64_MAX ? '9223372036854775807' : BigInt(n).toString();
}

/**
 * Stalwart's `to_string`, used by every text function: an array becomes its items joined
 * by CRLF, nested arrays contributing nothing. The separator is only written once
 * something has been written, so leading empty items vanish (Stalwart does the same).
 */
export function toStr(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatInt(v);
  if (v instanceof Float) return formatFloat(v.value);
  let out = '';
  for (const item of v) {
    if (out.length > 0) out += '\r\n';
    if (!isArray(item)) out += toStr(item);
  }
  return out;
}

const I64_TEXT = /^[+-]?\d+$/;
const F64_TEXT = /^[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

/** Rust's `str::parse::<i64>()`: optional sign, decimal digits, in range. */
export function parseI64(s: string): number | undefined {
  if (!I64_TEXT.test(s)) return undefined;
  const digits = s.replace(/^[+-]?0*/, '');
  if (digits.length >= 19) {
    const big = BigInt(s.startsWith('+') ? s.slice(1) : s);
    if (big > 9223372036854775807n || big < -9223372036854775808n) return undefined;
  }
  const n = Number(s);
  return Object.is(n, -0) ? 0 : n;
}

/** Rust's `str::parse::<f64>()`: decimal with optional exponent, or inf/infinity/nan. */
export function parseF64(s: string): number | undefined {
  if (!F64_TEXT.test(s)) return undefined;
  const lower = s.toLowerCase();
  const body = lower.replace(/^[+-]/, '');
  const negative = lower.startsWith('-');
  if (body === 'inf' || body === 'infinity') return negative ? -Infinity : Infinity;
  if (body === 'nan') return NaN;
  return Number(s);
}

/**
 * Stalwart's `parse_number`: how strings and arrays take part in arithmetic and in
 * comparisons with numbers. A string that is not a number is 0; an array is 1 when empty
 * and 0 otherwise (sic).
 */
export function parseNumber(v: Value): number | Float {
  if (typeof v === 'number' || v instanceof Float) return v;
  if (typeof v === 'string') {
    if (v.length === 0) return 0;
    const i = parseI64(v);
    if (i !== undefined) return i;
    const f = parseF64(v);
    return f !== undefined ? new Float(f) : 0;
  }
  return v.length === 0 ? 1 : 0;
}

/** Stalwart's `to_integer`, used to turn a result into a status code. */
export function toInteger(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof Float) return Number.isNaN(v.value) ? 0 : int(Math.trunc(v.value));
  if (typeof v === 'string') return v.length > 0 ? parseI64(v) : undefined;
  return undefined;
}

/** Stalwart's `to_usize` for indexes: negatives never match, a bad index reads item 0. */
export function toIndex(v: Value): number {
  if (typeof v === 'number') return v < 0 ? Infinity : v;
  if (v instanceof Float) return Number.isNaN(v.value) || v.value < 0 ? 0 : Math.trunc(v.value);
  if (typeof v === 'string' && /^\+?\d+$/.test(v)) return Number(v);
  return 0;
}

/** Stalwart's `into_array`: an array as is, the empty string as `[]`, anything else as `[v]`. */
export function intoArray(v: Value): readonly Value[] {
  if (isArray(v)) return v;
  return v === '' ? [] : [v];
}

/** Stalwart's `PartialEq`: numbers by value, strings compared with numbers as numbers. */
export function equals(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const an = typeof a === 'number' || a instanceof Float;
  const bn = typeof b === 'number' || b instanceof Float;
  if (an && bn) return num(a) === num(b);
  if (an && typeof b === 'string') return equals(a, parseNumber(b));
  if (bn && typeof a === 'string') return equals(parseNumber(a), b);
  if (isArray(a) && isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!)) return false;
    return true;
  }
  return false;
}

const num = (v: number | Float): number => (typeof v === 'number' ? v : v.value);

/**
 * Stalwart's `PartialOrd`: -1, 0, 1, or NaN where Rust answers `None` (a NaN operand).
 * Strings order by code point (Rust compares UTF-8 bytes, which is the same order);
 * a string against a number is compared as a number; arrays order after strings and
 * numbers, element by element among themselves.
 */
export function compare(a: Value, b: Value): number {
  const an = typeof a === 'number' || a instanceof Float;
  const bn = typeof b === 'number' || b instanceof Float;
  if (an && bn) {
    const x = num(a);
    const y = num(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'string' && bn) return compare(parseNumber(a), b);
  if (an && typeof b === 'string') return compare(a, parseNumber(b));
  if (isArray(a) && isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compare(a[i]!, b[i]!);
      if (c !== 0) return c;
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  if (isArray(a) || typeof a === 'string') return 1;
  return -1;
}

function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (code points above U+FFFF) below U+E000..U+FFFF; UTF-8 does not.
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** A debug rendering for logs and `parapet explain`: `Integer(404)`, `String("x")`. */
export function describe(v: Value): string {
  if (typeof v === 'string') return `String(${JSON.stringify(v)})`;
  if (typeof v === 'number') return `Integer(${formatInt(v)})`;
  if (v instanceof Float) return `Float(${formatFloat(v.value)})`;
  return `Array([${v.map(describe).join(', ')}])`;
}
