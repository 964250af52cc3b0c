import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from './ast.js';
import { compile } from './compile.js';
import { HTTP_VARIABLES } from './http.js';
import { parse } from './parser.js';
import { LIMITS } from './state.js';
import { describe as describeValue } from './value.js';

/** Fully parenthesised rendering, to read precedence and associativity off the tree. */
function show(n: Node): string {
  switch (n.t) {
    case 'const':
      return typeof n.value === 'string' ? `'${n.value}'` : describeValue(n.value).replace(/^\w+\((.*)\)$/, '$1');
    case 'var':
      return n.name;
    case 'capture':
      return `$${n.index}`;
    case 'unary':
      return `(${n.op}${show(n.arg)})`;
    case 'binary':
      return `(${show(n.left)} ${n.op} ${show(n.right)})`;
    case 'index':
      return `${show(n.target)}[${show(n.index)}]`;
    case 'array':
      return `[${n.items.map(show).join(', ')}]`;
    case 'call':
      return `${n.name}(${n.args.map(show).join(', ')})`;
    case 'matches':
      return `matches(/${n.regex.source}/, ${show(n.arg)})`;
  }
}

const variables = new Set<string>([...HTTP_VARIABLES, 'a', 'b', 'c', 'd']);
const tree = (src: string): string => show(parse(src, { variables }));

describe('parser: precedence and associativity (Stalwart: unary > * / > + - > comparisons > == != > ^ > && > ||)', () => {
  const cases: [string, string][] = [
    ['a + b * c', '(a + (b * c))'],
    ['a * b + c', '((a * b) + c)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b / c', '((a / b) / c)'],
    ['a < b == c', '((a < b) == c)'],
    ['a == b < c', '(a == (b < c))'],
    ['a + b < c - d', '((a + b) < (c - d))'],
    ['a == b ^ c == d', '((a == b) ^ (c == d))'],
    ['a ^ b && c', '((a ^ b) && c)'],
    ['a && b ^ c', '(a && (b ^ c))'],
    ['a || b && c', '(a || (b && c))'],
    ['a && b || c && d', '((a && b) || (c && d))'],
    ['a || b || c', '((a || b) || c)'],
    ['!a == b', '((!a) == b)'],
    ['!a && b', '((!a) && b)'],
    ['-a * b', '((-a) * b)'],
    ['- -a', '(-(-a))'],
    ['!!a', '(!(!a))'],
    ['a - -b', '(a - (-b))'],
    ['-a[0]', '(-a[0])'],
    ['(a || b) && c', '((a || b) && c)'],
    ['a < b < c', '((a < b) < c)'],
    ["f == 'x'".replace('f', 'method'), "(method == 'x')"],
    ["!starts_with(url, '/jmap') || method == 'OPTIONS'", "((!starts_with(url, '/jmap')) || (method == 'OPTIONS'))"],
    ["split(url_path, '/')[1]", "split(url_path, '/')[1]"],
    ['[a, b][0][1]', '[a, b][0][1]'],
    ['[]', '[]'],
    ['[a, b,]', '[a, b]'],
    ["matches('^/(x)$', url_path) && $1", "(matches(/^\\/(x)$/, url_path) && $1)"],
  ];
  for (const [src, want] of cases) test(src, () => assert.equal(tree(src), want));
});

describe('parser: syntax errors name the problem and its offset', () => {
  const cases: [string, number, RegExp][] = [
    ['', 0, /empty expression/],
    ['   ', 0, /empty expression/],
    ['a +', 3, /a value is missing/],
    ['a b', 2, /expected an operator, found `b`/],
    ['(a', 2, /missing '\)'/],
    ['a)', 1, /unmatched closing parenthesis/],
    ['[a, b', 5, /missing '\]' to close the list/],
    ['[a b]', 3, /expected ']'/],
    ['a[]', 2, /missing array index/],
    ['a[0', 3, /missing '\]'/],
    ['* a', 0, /expected a value, found '\*'/],
    ['foo == 1', 0, /unknown variable `foo`/],
    ['remote_ipp', 0, /did you mean `remote_ip`/],
    ['unknown_fn(1)', 0, /unknown function `unknown_fn`/],
    ['strats_with(a, b)', 0, /did you mean `starts_with`/],
    ['starts_with(a)', 0, /`starts_with` takes 2 arguments, got 1/],
    ['len(a, b)', 0, /`len` takes 1 argument, got 2/],
    ['a + len', 4, /`len` is a function: call it as len/],
    ["a && dns_query('x', 'mx')", 5, /Parapet does not provide/],
    ['matches(url, url)', 8, /must be a quoted regular expression/],
    ["matches('(a+)+', url)", 8, /exponential/],
    ["matches('(x|y)*z', url)", 8, /exponential/],
    ["matches('(a)\\1', url)", 8, /backreferences/],
    ["matches('(?=a)', url)", 8, /look-around/],
    ["matches('[', url)", 8, /invalid regular expression/],
    ["matches('a', url, 1)", 16, /expected '\)'/],
    ['$foo', 0, /unknown variable `\$foo`/],
    ['a.b', 0, /unknown variable `a\.b`/],
  ];
  for (const [src, pos, message] of cases) {
    test(JSON.stringify(src), () => {
      const r = compile(src, { variables: [...variables] });
      assert.equal(r.ok, false, 'should not compile');
      if (r.ok) return;
      assert.match(r.error.message, message);
      assert.equal(r.error.position, pos);
    });
  }

  test('line and column for multi-line expressions', () => {
    const r = compile("url_path == '/x'\n  && bogus");
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual([r.error.position, r.error.line, r.error.column], [22, 2, 6]);
  });

  test('variables are per context: an SMTP name is unknown in HTTP', () => {
    const r = compile("rcpt == 'a@b'");
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /unknown variable `rcpt`/);
    assert.equal(compile("rcpt == 'a@b'", { variables: ['rcpt'] }).ok, true);
  });
});

describe('parser: size limits', () => {
  test('nesting deeper than the limit is refused, not a stack overflow', () => {
    const deep = '('.repeat(LIMITS.maxDepth + 5) + '1' + ')'.repeat(LIMITS.maxDepth + 5);
    const r = compile(deep);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.message, /nested more than/);
    assert.equal(compile('!'.repeat(100_000) + '1').ok, false);
  });

  test('a long flat chain is bounded by its tree height', () => {
    assert.equal(compile(Array(LIMITS.maxDepth - 10).fill('1').join(' + ')).ok, true);
    assert.equal(compile(Array(LIMITS.maxDepth + 10).fill('1').join(' + ')).ok, false);
  });

  test('over-long source is refused', () => {
    const r = compile(`'${'x'.repeat(LIMITS.maxSourceLength)}'`);
    assert.equal(r.ok, false);
  });
});
