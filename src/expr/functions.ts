import { ipInCidr, ipVersion, reverseName } from './ip.js';
import { checkArray, type State } from './state.js';
import { compare, equals, intoArray, isArray, parseF64, parseI64, toIndex, toStr, truthy, Float, type Value } from './value.js';

/**
 * The function library: Stalwart's pure functions (`crates/common/src/expr/functions/`),
 * its configuration lookups, and `is_ip_in_cidr`. Each takes its arguments already
 * evaluated; `pure` ones with constant arguments are folded at compile time.
 */

type Impl = (st: State, a: Value, b: Value, c: Value) => Value;

export interface FunctionDef {
  readonly arity: 1 | 2 | 3;
  /** Depends only on its arguments (can be folded when they are constant). */
  readonly pure: boolean;
  readonly impl: Impl;
}

const bool = (b: boolean): number => (b ? 1 : 0);

/** Stalwart's `transform`: apply to a string, or to each item of an array. */
function mapText(v: Value, f: (s: string) => Value): Value {
  if (typeof v === 'string') return f(v);
  if (isArray(v)) return v.map((x) => f(typeof x === 'string' ? x : toStr(x)));
  return f(toStr(v));
}

// Rust's `char::is_whitespace` is Unicode White_Space, which JS's `trim` is not (U+FEFF, U+0085).
const TRIM_START = /^\p{White_Space}+/u;
const TRIM_END = /\p{White_Space}+$/u;
const NOT_UPPER = /(?=\p{Alphabetic})\P{Uppercase}/u;
const NOT_LOWER = /(?=\p{Alphabetic})\P{Lowercase}/u;
const SPACES = /\p{White_Space}/gu;
const UPPERS = /(?=\p{Alphabetic})\p{Uppercase}/gu;
const LOWERS = /(?=\p{Alphabetic})\p{Lowercase}/gu;

function countMatches(s: string, re: RegExp): number {
  let n = 0;
  re.lastIndex = 0;
  while (re.exec(s) !== null) n++;
  return n;
}

function asciiEqualIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** Rust's `str::split`: an empty separator yields '', every character, then ''. */
function split(s: string, sep: string): string[] {
  if (sep === '') return ['', ...s, ''];
  return s.split(sep);
}

/** Rust's `str::rsplit`: pieces found from the end, last first. */
function rsplit(s: string, sep: string): string[] {
  if (sep === '') return split(s, sep).reverse();
  const out: string[] = [];
  let end = s.length;
  for (;;) {
    const from = end - sep.length;
    const i = from < 0 ? -1 : s.lastIndexOf(sep, from);
    if (i < 0) break;
    out.push(s.slice(i + sep.length, end));
    end = i;
  }
  out.push(s.slice(0, end));
  return out;
}

/** Rust's `str::lines`: split on LF, drop the CR of CRLF, no empty last line. */
function lines(s: string): string[] {
  if (s === '') return [];
  const parts = s.split('\n');
  const last = parts.length - 1;
  if (parts[last] === '') parts.pop();
  return parts.map((p, i) => (i < last && p.endsWith('\r') ? p.slice(0, -1) : p));
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Rust's `Ord` for values: an unordered pair (NaN) counts as Greater. */
const order = (a: Value, b: Value): number => {
  const c = compare(a, b);
  return Number.isNaN(c) ? 1 : c;
};

/** `config_get('server.hostname')` answers the effective host name when the key is unset. */
function configGet(st: State, key: string): string {
  const v = st.ctx.configGet(key);
  if (v !== undefined) return v;
  return key === 'server.hostname' ? st.ctx.hostname : '';
}

const fns: Record<string, FunctionDef> = {
  // Text
  trim: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => s.replace(TRIM_START, '').replace(TRIM_END, '')) },
  trim_start: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => s.replace(TRIM_START, '')) },
  trim_end: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => s.replace(TRIM_END, '')) },
  // Bytes of UTF-8, as Rust's `str::len`; items for an array.
  len: { arity: 1, pure: true, impl: (_, a) => (isArray(a) ? a.length : Buffer.byteLength(toStr(a), 'utf8')) },
  to_lowercase: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => s.toLowerCase()) },
  to_uppercase: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => s.toUpperCase()) },
  is_uppercase: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => bool(!NOT_UPPER.test(s))) },
  is_lowercase: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => bool(!NOT_LOWER.test(s))) },
  has_digits: { arity: 1, pure: true, impl: (_, a) => mapText(a, (s) => bool(/[0-9]/.test(s))) },
  count_spaces: { arity: 1, pure: true, impl: (_, a) => countMatches(toStr(a), SPACES) },
  count_uppercase: { arity: 1, pure: true, impl: (_, a) => countMatches(toStr(a), UPPERS) },
  count_lowercase: { arity: 1, pure: true, impl: (_, a) => countMatches(toStr(a), LOWERS) },
  count_chars: { arity: 1, pure: true, impl: (_, a) => codePoints(toStr(a)) },
  contains: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => bool(isArray(a) ? a.some((x) => equals(x, b)) : toStr(a).includes(toStr(b))),
  },
  contains_ignore_case: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      const needle = toStr(b);
      if (typeof a === 'string') return bool(a.toLowerCase().includes(needle.toLowerCase()));
      if (isArray(a)) return bool(a.some((x) => typeof x === 'string' && asciiEqualIgnoreCase(x, needle)));
      return bool(toStr(a).includes(needle)); // Stalwart compares numbers case-sensitively (moot)
    },
  },
  eq_ignore_case: { arity: 2, pure: true, impl: (_, a, b) => bool(asciiEqualIgnoreCase(toStr(a), toStr(b))) },
  starts_with: { arity: 2, pure: true, impl: (_, a, b) => bool(toStr(a).startsWith(toStr(b))) },
  ends_with: { arity: 2, pure: true, impl: (_, a, b) => bool(toStr(a).endsWith(toStr(b))) },
  lines: { arity: 1, pure: true, impl: (_, a) => (typeof a === 'string' ? checkArray(lines(a)) : a) },
  substring: {
    arity: 3,
    pure: true,
    impl: (_, a, b, c) => {
      const start = toIndex(b);
      const count = toIndex(c);
      let out = '';
      let i = 0;
      for (const ch of toStr(a)) {
        if (i >= start + count) break;
        if (i >= start) out += ch;
        i++;
      }
      return out;
    },
  },
  strip_prefix: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      const p = toStr(b);
      return mapText(a, (s) => (s.startsWith(p) ? s.slice(p.length) : ''));
    },
  },
  strip_suffix: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      const p = toStr(b);
      return mapText(a, (s) => (s.endsWith(p) ? s.slice(0, s.length - p.length) : ''));
    },
  },
  split: { arity: 2, pure: true, impl: (_, a, b) => checkArray(split(toStr(a), toStr(b))) },
  rsplit: { arity: 2, pure: true, impl: (_, a, b) => checkArray(rsplit(toStr(a), toStr(b))) },
  split_once: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      const s = toStr(a);
      const sep = toStr(b);
      const i = s.indexOf(sep);
      return i < 0 ? '' : [s.slice(0, i), s.slice(i + sep.length)];
    },
  },
  rsplit_once: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      const s = toStr(a);
      const sep = toStr(b);
      const i = s.lastIndexOf(sep);
      return i < 0 ? '' : [s.slice(0, i), s.slice(i + sep.length)];
    },
  },
  split_words: {
    arity: 1,
    pure: true,
    impl: (_, a) => checkArray(toStr(a).split(/\p{White_Space}+/u).filter((w) => w !== '' && /^[\p{Alphabetic}\p{N}]+$/u.test(w))),
  },

  // Arrays
  count: { arity: 1, pure: true, impl: (_, a) => (isArray(a) ? a.length : a === '' ? 0 : 1) },
  // Stalwart's docs: `sort(["z", "a", "b"], true)` is `["a", "b", "z"]` (its code sorts the other way).
  sort: { arity: 2, pure: true, impl: (_, a, b) => [...intoArray(a)].sort(truthy(b) ? order : (x, y) => order(y, x)) },
  dedup: {
    arity: 1,
    pure: true,
    impl: (_, a) => {
      const out: Value[] = [];
      for (const x of intoArray(a)) if (!out.some((y) => equals(y, x))) out.push(x);
      return out;
    },
  },
  winnow: { arity: 1, pure: true, impl: (_, a) => (isArray(a) ? a.filter((x) => x !== '') : a) },
  is_intersect: {
    arity: 2,
    pure: true,
    impl: (_, a, b) => {
      if (isArray(a) && isArray(b)) return bool(a.some((x) => b.some((y) => equals(x, y))));
      if (isArray(a)) return bool(a.some((x) => equals(x, b)));
      if (isArray(b)) return bool(b.some((y) => equals(a, y)));
      return 0;
    },
  },

  // Miscellaneous
  is_empty: { arity: 1, pure: true, impl: (_, a) => bool(typeof a === 'string' || isArray(a) ? a.length === 0 : false) },
  // Stalwart's docs: `is_number("123")` is true, so numeric text counts (its code checks the type only).
  is_number: {
    arity: 1,
    pure: true,
    impl: (_, a) => bool(typeof a === 'number' || a instanceof Float || (typeof a === 'string' && (parseI64(a) !== undefined || (parseF64(a) !== undefined && /\d/.test(a))))),
  },
  is_ip_addr: { arity: 1, pure: true, impl: (_, a) => bool(ipVersion(toStr(a)) !== 0) },
  is_ipv4_addr: { arity: 1, pure: true, impl: (_, a) => bool(ipVersion(toStr(a)) === 4) },
  is_ipv6_addr: { arity: 1, pure: true, impl: (_, a) => bool(ipVersion(toStr(a)) === 6) },
  ip_reverse_name: { arity: 1, pure: true, impl: (_, a) => reverseName(toStr(a)) },
  // Stalwart ≥ 0.16 has this function under this name and argument order.
  is_ip_in_cidr: { arity: 2, pure: true, impl: (_, a, b) => bool(ipInCidr(toStr(a), toStr(b))) },
  if_then: { arity: 3, pure: true, impl: (_, a, b, c) => (truthy(a) ? b : c) },

  // Configuration
  config_get: { arity: 1, pure: false, impl: (st, a) => configGet(st, toStr(a)) },
  /**
   * Before Stalwart 0.11.2 the host name lived in the lookup store `default`
   * (`lookup.default.hostname`) and was read as `key_get('default', 'hostname')`.
   * Parapet reads `lookup.<store>.<key>` from the config; the host name falls back to the
   * effective one.
   */
  key_get: {
    arity: 2,
    pure: false,
    impl: (st, a, b) => {
      const store = toStr(a) || 'default';
      const key = toStr(b);
      const v = st.ctx.configGet(`lookup.${store}.${key}`);
      if (v !== undefined) return v;
      return store === 'default' && key === 'hostname' ? configGet(st, 'server.hostname') : '';
    },
  },
};

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(Object.entries(fns));

/** Stalwart functions that need a mail store, directory or resolver Parapet does not have. */
export const UNSUPPORTED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['is_local_domain', 'it needs Stalwart’s mail directory'],
  ['is_local_address', 'it needs Stalwart’s mail directory'],
  ['key_exists', 'it needs a Stalwart in-memory store'],
  ['key_set', 'it needs a Stalwart in-memory store'],
  ['counter_get', 'it needs a Stalwart in-memory store'],
  ['counter_incr', 'it needs a Stalwart in-memory store'],
  ['sql_query', 'it needs a Stalwart SQL store'],
  ['dns_query', 'DNS lookups have no place on the request path'],
  ['is_email', 'it is a mail function'],
  ['email_part', 'it is a mail function'],
]);
