import { Float, int, parseI64 } from './value.js';

/**
 * The tokenizer, following Stalwart's (`crates/common/src/expr/tokenizer.rs`): words are
 * runs of `A-Z a-z 0-9 _ $ .`; a word of digits (and one dot) is a number, `true`/`false`
 * are 1/0, `$n` is a regex capture, `5m`-style words are durations in milliseconds, and
 * anything else is a name the parser resolves. Operators accept Stalwart's synonyms:
 * `&` for `&&`, `|` for `||`, `=` for `==`, `=>` for `>=`, `=<` for `<=`.
 */

export type Op =
  | '+' | '-' | '*' | '/' | '!' | '^' | '&&' | '||'
  | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '(' | ')' | '[' | ']' | ',';

export type Token =
  | { readonly kind: 'op'; readonly op: Op; readonly pos: number }
  | { readonly kind: 'value'; readonly value: string | number | Float; readonly pos: number; readonly quoted: boolean }
  | { readonly kind: 'capture'; readonly index: number; readonly pos: number }
  | { readonly kind: 'name'; readonly name: string; readonly pos: number }
  | { readonly kind: 'eof'; readonly pos: number };

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const WORD = /[A-Za-z0-9_$.]/;
const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const pos = i;
    // Stalwart skips space, CR and LF; tab is accepted too, since TOML multi-line strings carry it.
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      i++;
      continue;
    }
    if (WORD.test(c)) {
      let j = i + 1;
      while (j < src.length && WORD.test(src[j]!)) j++;
      out.push(word(src.slice(i, j), pos));
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const [value, next] = stringLiteral(src, i);
      out.push({ kind: 'value', value, pos, quoted: true });
      i = next;
      continue;
    }
    const two = src.slice(i, i + 2);
    const op = TWO_CHAR[two] ?? ONE_CHAR[c];
    if (op === undefined) {
      const shown = c === '}' ? "'}' (an expression cannot contain a closing brace outside quotes)" : JSON.stringify(String.fromCodePoint(src.codePointAt(i)!));
      throw new ExprSyntaxError(`invalid character ${shown}`, pos);
    }
    out.push({ kind: 'op', op, pos });
    i += TWO_CHAR[two] !== undefined ? 2 : 1;
  }
  out.push({ kind: 'eof', pos: src.length });
  return out;
}

const TWO_CHAR: Readonly<Record<string, Op>> = {
  '&&': '&&', '||': '||', '==': '==', '!=': '!=', '<=': '<=', '>=': '>=', '=>': '>=', '=<': '<=',
};
const ONE_CHAR: Readonly<Record<string, Op>> = {
  '+': '+', '-': '-', '*': '*', '/': '/', '!': '!', '^': '^', '&': '&&', '|': '||', '=': '==',
  '<': '<', '>': '>', '(': '(', ')': ')', '[': '[', ']': ']', ',': ',',
};

/**
 * A quoted string as Stalwart reads it: a backslash stops the next character from ending
 * the string, and `\n`, `\r`, `\t` put the control character in, but the backslash itself
 * is kept (`'a\.b'` is the four characters `a\.b`), which is what regular expressions in
 * `matches()` need. As in Stalwart, a string cannot end with a backslash.
 */
function stringLiteral(src: string, start: number): [string, number] {
  const quote = src[start]!;
  let out = '';
  let prev = '';
  for (let i = start + 1; i < src.length; i++) {
    const ch = src[i]!;
    if (prev !== '\\') {
      if (ch === quote) return [out, i + 1];
      out += ch;
    } else {
      out += ch === 'n' ? '\n' : ch === 'r' ? '\r' : ch === 't' ? '\t' : ch;
    }
    prev = ch;
  }
  throw new ExprSyntaxError('unterminated string: no closing ' + (quote === '"' ? 'double quote' : 'quote'), start);
}

function word(text: string, pos: number): Token {
  const hasDigit = /\d/.test(text);
  const hasAlpha = /[A-Za-z_$]/.test(text);
  if (hasDigit && !hasAlpha) {
    if (text.includes('.')) {
      if (!/^(\d+\.\d*|\.\d+)$/.test(text)) throw new ExprSyntaxError(`invalid number \`${text}\``, pos);
      return { kind: 'value', value: new Float(Number(text)), pos, quoted: false };
    }
    const n = parseI64(text);
    if (n === undefined) throw new ExprSyntaxError(`integer \`${text}\` is out of range (64-bit)`, pos);
    return { kind: 'value', value: n, pos, quoted: false };
  }
  if (text === 'true') return { kind: 'value', value: 1, pos, quoted: false };
  if (text === 'false') return { kind: 'value', value: 0, pos, quoted: false };
  const capture = /^\$(\d{1,9})$/.exec(text);
  if (capture) return { kind: 'capture', index: Number(capture[1]), pos };
  const duration = /^(\d+)(ms|s|m|h|d)$/i.exec(text);
  if (duration) {
    const n = Number(duration[1]);
    if (n === 0) throw new ExprSyntaxError(`duration \`${text}\` must be greater than zero`, pos);
    return { kind: 'value', value: int(n * DURATION_MS[duration[2]!.toLowerCase()]!), pos, quoted: false };
  }
  return { kind: 'name', name: text, pos };
}
