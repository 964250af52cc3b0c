import { ExprSyntaxError } from './lexer.js';

/**
 * `matches(pattern, value)` runs Stalwart's Rust regular expressions on V8's engine. The
 * two agree on the common syntax; where they differ this module either translates
 * (`(?P<name>…)`, a leading `(?i)`, escaped punctuation such as `\'`) or refuses at load,
 * with the reason. Rust's engine runs in linear time, V8's backtracks, and the value
 * matched is attacker-controlled (a URL path), so patterns that can backtrack
 * exponentially — a repeated group that itself repeats or alternates, such as `(a+)+` or
 * `(x|y)*` — are refused, and inputs longer than LIMITS.maxRegexInput fail the evaluation.
 */

const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/');

export function compileRegex(pattern: string, pos: number): RegExp {
  let source = pattern;
  let flags = 'u';
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags += flags.includes(f) ? '' : f;
      else throw new ExprSyntaxError(`regular expression flag \`${f}\` is not supported (only i, m, s)`, pos);
    }
    source = source.slice(inline[0].length);
  }
  source = translate(source, pos);
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new ExprSyntaxError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, pos);
  }
}

interface Group {
  repeats: boolean;
}

/** One pass: translate Rust-only spellings and refuse what would backtrack badly. */
function translate(src: string, pos: number): string {
  let out = '';
  const groups: Group[] = [];
  let inClass = false;
  /** Whether the atom just emitted was a group that contains repetition or alternation. */
  let lastGroupRepeats = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const next = src[i + 1];
      if (next === undefined) throw new ExprSyntaxError('regular expression ends with a lone backslash', pos);
      if (/\d/.test(next) && next !== '0') throw new ExprSyntaxError('backreferences (`\\1`) are not supported in regular expressions (nor by Stalwart)', pos);
      if (next === 'k') throw new ExprSyntaxError('backreferences (`\\k<name>`) are not supported in regular expressions (nor by Stalwart)', pos);
      // Rust lets any punctuation be escaped; V8's Unicode mode only its syntax characters.
      if (/[!-\/:-@[-`{-~]/.test(next) && !JS_SYNTAX.has(next) && !(next === '-' && inClass)) out += next;
      else out += c + next;
      i++;
      lastGroupRepeats = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') out += src[++i];
      lastGroupRepeats = false;
      continue;
    }
    if (c === '(') {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      if (named) {
        out += `(?<${named[1]}>`; // Rust also spells it (?P<name>…)
        i += named[0].length - 1;
      } else if (/^\(\?(=|!|<=|<!)/.test(src.slice(i, i + 4))) {
        throw new ExprSyntaxError('look-around assertions are not supported in regular expressions (nor by Stalwart)', pos);
      } else if (src.startsWith('(?:', i)) {
        out += '(?:';
        i += 2;
      } else if (src.startsWith('(?', i)) {
        throw new ExprSyntaxError('inline flags are only supported at the start of a regular expression, as `(?i)`', pos);
      } else {
        out += c;
      }
      groups.push({ repeats: false });
      lastGroupRepeats = false;
      continue;
    }
    if (c === ')') {
      const g = groups.pop();
      out += c;
      lastGroupRepeats = g?.repeats ?? false;
      if (g?.repeats && groups.length > 0) groups[groups.length - 1]!.repeats = true;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i)));
    if (quantifier) {
      const repeatsMany = c !== '?' && !(c === '{' && /^\{[01](,[01]?)?\}/.test(src.slice(i)));
      if (repeatsMany && lastGroupRepeats) {
        throw new ExprSyntaxError(
          'a repeated group that itself repeats or alternates (such as `(a+)+` or `(x|y)*`) can take exponential time; rewrite it without nesting',
          pos,
        );
      }
      if (groups.length > 0) groups[groups.length - 1]!.repeats = true;
      const end = c === '{' ? src.indexOf('}', i) : i;
      out += src.slice(i, end + 1);
      i = end;
      if (src[i + 1] === '?') out += src[++i]; // lazy
      lastGroupRepeats = false;
      continue;
    }
    if (c === '|' && groups.length > 0) groups[groups.length - 1]!.repeats = true;
    out += c;
    lastGroupRepeats = false;
  }
  return out;
}
