import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExprSyntaxError, tokenize, type Token } from './lexer.js';
import { Float } from './value.js';

/** A compact rendering of tokens for table comparisons. */
function show(tokens: Token[]): string[] {
  return tokens.map((t) => {
    switch (t.kind) {
      case 'op':
        return t.op;
      case 'value':
        return typeof t.value === 'string' ? `str:${t.value}` : t.value instanceof Float ? `float:${t.value.value}` : `int:${t.value}`;
      case 'capture':
        return `$${t.index}`;
      case 'name':
        return `name:${t.name}`;
      case 'eof':
        return 'eof';
    }
  });
}

describe('lexer: tokens', () => {
  const cases: [string, string[]][] = [
    ['1 + 2', ['int:1', '+', 'int:2', 'eof']],
    ['1.5', ['float:1.5', 'eof']],
    ['.5', ['float:0.5', 'eof']],
    ['2.', ['float:2', 'eof']],
    ['true false', ['int:1', 'int:0', 'eof']],
    ['remote_ip', ['name:remote_ip', 'eof']],
    ['$1 $0', ['$1', '$0', 'eof']],
    ['5m 30s 1d 2h 100ms 3M', ['int:300000', 'int:30000', 'int:86400000', 'int:7200000', 'int:100', 'int:180000', 'eof']],
    // Stalwart's synonyms: & | = => =<
    ['a & b | c', ['name:a', '&&', 'name:b', '||', 'name:c', 'eof']],
    ['a = b', ['name:a', '==', 'name:b', 'eof']],
    ['a => b =< c', ['name:a', '>=', 'name:b', '<=', 'name:c', 'eof']],
    ['a==b!=c<=d>=e<f>g', ['name:a', '==', 'name:b', '!=', 'name:c', '<=', 'name:d', '>=', 'name:e', '<', 'name:f', '>', 'name:g', 'eof']],
    ['!a ^ -b', ['!', 'name:a', '^', '-', 'name:b', 'eof']],
    ['f(x)[0]', ['name:f', '(', 'name:x', ')', '[', 'int:0', ']', 'eof']],
    ['a\t&&\r\nb', ['name:a', '&&', 'name:b', 'eof']],
    ["'single' \"double\"", ['str:single', 'str:double', 'eof']],
    ["''", ['str:', 'eof']],
  ];
  for (const [src, want] of cases) {
    test(JSON.stringify(src), () => assert.deepEqual(show(tokenize(src)), want));
  }
});

describe('lexer: strings keep their backslashes, as Stalwart does', () => {
  const cases: [string, string][] = [
    ["'a\\.b'", 'a\\.b'],
    ["'it\\'s'", "it\\'s"],
    ["'tab\\tx'", 'tab\\\tx'],
    ["'nl\\n'", 'nl\\\n'],
    ['"say \\"hi\\""', 'say \\"hi\\"'],
    ["'a\"b'", 'a"b'],
    ['"a\'b"', "a'b"],
    ["'ünï €'", 'ünï €'],
  ];
  for (const [src, want] of cases) {
    test(src, () => {
      const [t] = tokenize(src);
      assert.equal(t!.kind, 'value');
      assert.equal((t as { value: unknown }).value, want);
    });
  }
});

describe('lexer: token positions', () => {
  test('offsets point at the first character', () => {
    assert.deepEqual(
      tokenize("a  == 'x'").map((t) => t.pos),
      [0, 3, 6, 9],
    );
  });
});

describe('lexer: errors carry the offset', () => {
  const cases: [string, number, RegExp][] = [
    ["'abc", 0, /unterminated string/],
    ["x == 'abc\\'", 5, /unterminated string/], // a string cannot end with a backslash
    ['a # b', 2, /invalid character "#"/],
    ['a } b', 2, /closing brace/],
    ['1.2.3', 0, /invalid number/],
    ['99999999999999999999', 0, /out of range/],
    ['0s', 0, /greater than zero/],
    ['a €', 2, /invalid character "€"/],
  ];
  for (const [src, pos, message] of cases) {
    test(src, () => {
      assert.throws(() => tokenize(src), (err: unknown) => err instanceof ExprSyntaxError && err.position === pos && message.test(err.message));
    });
  }
});
