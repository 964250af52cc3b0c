import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExprSyntaxError } from './lexer.js';
import { compileRegex } from './regex.js';

describe('regex: Rust spellings that V8 reads differently are translated', () => {
  const cases: [string, string, boolean][] = [
    // A pattern from a deployed Stalwart config (allowed-endpoint).
    ['^/(jmap|.well-known|auth|mail|autodiscover|metrics|form|healthz|robots.txt)', '/jmap/session', true],
    ['^/(jmap|.well-known|auth)', '/api', false],
    ['^([^.]+)@([^.]+)\\.(.+)$', 'user@example.org', true],
    ['(?i)^/JMAP', '/jmap', true],
    ['(?is)^a.b$', 'A\nB', true],
    ['^(?P<first>\\w+)$', 'abc', true],
    ["it\\'s", "it's", true], // Rust allows escaping any punctuation
    ['a\\-b', 'a-b', true],
    ['[a\\-z]', '-', true],
    ['^\\d{2,4}$', '123', true],
    ['\\p{L}+', 'é', true],
    ['(ab)?c', 'c', true],
    ['(a+)?b', 'aab', true], // an optional group may repeat inside
    ['x{0,1}(y+)', 'yy', true],
    ['^(?:ab)+$', 'abab', true], // a repeated group without repetition inside is fine
    ['^(?<n>ab)+$', 'abab', true],
    ['^(?P<n>ab)+$', 'abab', true],
  ];
  for (const [pattern, input, want] of cases) {
    test(`${pattern} on ${JSON.stringify(input)}`, () => assert.equal(compileRegex(pattern, 0).test(input), want));
  }
});

describe('regex: what could backtrack badly, or Rust rejects, is refused at load', () => {
  const cases: [string, RegExp][] = [
    ['(a+)+', /exponential/],
    ['(a*)*b', /exponential/],
    ['(x|y)*', /exponential/],
    ['(?:a|b)+c', /exponential/],
    ['((ab)+c)+', /exponential/],
    ['(a+){2,}', /exponential/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['(?=a)', /look-around/],
    ['(?<!a)b', /look-around/],
    ['a(?i)b', /inline flags/],
    ['(?x)a b', /flag `x`/],
    ['[', /invalid regular expression/],
    ['a\\', /lone backslash/],
  ];
  for (const [pattern, message] of cases) {
    test(pattern, () => assert.throws(() => compileRegex(pattern, 7), (err: unknown) => err instanceof ExprSyntaxError && err.position === 7 && message.test(err.message)));
  }
});
