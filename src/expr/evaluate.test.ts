import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, evaluate, isFailure, LIMITS, type Value } from './index.js';
import { ctx, request, run } from './test-helpers.js';

function table(name: string, cases: readonly (readonly [string, string])[]): void {
  describe(name, () => {
    for (const [src, want] of cases) test(src, () => assert.equal(run(src), want));
  });
}

table('literals', [
  ['42', 'Integer(42)'],
  ['-42', 'Integer(-42)'],
  ['1.25', 'Float(1.25)'],
  ['true', 'Integer(1)'],
  ['false', 'Integer(0)'],
  ["'text'", 'String("text")'],
  ['"text"', 'String("text")'],
  ['[1, \'a\', [2]]', 'Array([Integer(1), String("a"), Array([Integer(2)])])'],
  ['[]', 'Array([])'],
  ['5m', 'Integer(300000)'],
  ['9223372036854775807', 'Integer(9223372036854775807)'],
]);

table('arithmetic (Stalwart: saturating integers, division always a float, x / 0 is 0)', [
  ['1 + 2 * 3', 'Integer(7)'],
  ['(1 + 2) * 3', 'Integer(9)'],
  ['10 - 4 - 3', 'Integer(3)'],
  ['7 / 2', 'Float(3.5)'],
  ['6 / 3', 'Float(2)'],
  ['5 / 0', 'Float(0)'],
  ['5.5 / 0.0', 'Float(0)'],
  ['1 + 0.5', 'Float(1.5)'],
  ['0.1 + 0.2', 'Float(0.30000000000000004)'],
  ['2 * 1.5', 'Float(3)'],
  ['-(3)', 'Integer(-3)'],
  ['-1.5', 'Float(-1.5)'],
  ['9223372036854775807 + 1', 'Integer(9223372036854775807)'],
  ['-9223372036854775807 - 10', 'Integer(-9223372036854775808)'],
  ['9223372036854775807 * 2', 'Integer(9223372036854775807)'],
  ["'10' - 3", 'Integer(7)'],
  ["'2.5' * 2", 'Float(5)'],
  ["'abc' * 2", 'Integer(0)'],
  ["-'5'", 'Integer(-5)'],
  ["-'x'", 'Integer(0)'],
  ["'1e3' + 0", 'String("1e30")'],
  ["'1e3' - 0", 'Float(1000)'],
  ['1 / 3', 'Float(0.3333333333333333)'],
  ['1 / 10000000', 'Float(0.0000001)'],
  ['100000000000000000000.0 * 10', 'Float(1000000000000000000000)'],
]);

table('+ joins strings and arrays', [
  ["'a' + 'b'", 'String("ab")'],
  ["'port ' + 443", 'String("port 443")'],
  ["443 + ' port'", 'String("443 port")'],
  ["'x' + 1.5", 'String("x1.5")'],
  ["'x' + 2.0", 'String("x2")'],
  ["'' + 5", 'Integer(5)'], // an empty string yields the other operand unchanged
  ["5 + ''", 'Integer(5)'],
  ["'' + ''", 'String("")'],
  ['[1] + [2]', 'Array([Integer(1), Integer(2)])'],
  ['[1] + 2', 'Array([Integer(1), Integer(2)])'],
  ["'a' + [1]", 'Array([String("a"), Integer(1)])'],
  ['[1, 2, 1] - 1', 'Array([Integer(2)])'],
  ['1 - [1, 2, 1]', 'Array([Integer(2)])'],
  ["['a', 'b'] - 'a'", 'Array([String("b")])'],
]);

table('comparisons answer 1 or 0; a string meets a number as a number', [
  ['1 < 2', 'Integer(1)'],
  ['2 <= 2', 'Integer(1)'],
  ['3 > 4', 'Integer(0)'],
  ['4 >= 4.0', 'Integer(1)'],
  ['1 == 1.0', 'Integer(1)'],
  ["'a' < 'b'", 'Integer(1)'],
  ["'B' < 'a'", 'Integer(1)'],
  ["'abc' < 'abd'", 'Integer(1)'],
  ["'ab' < 'abc'", 'Integer(1)'],
  ["'10' == 10", 'Integer(1)'],
  ["'10' < 9", 'Integer(0)'], // numerically, not as text
  ["'9' > 10", 'Integer(0)'],
  ["'abc' == 0", 'Integer(1)'], // text that is not a number counts as 0
  ["'' == 0", 'Integer(1)'],
  ["'x' == 'X'", 'Integer(0)'],
  ["'a' != 'b'", 'Integer(1)'],
  ['[1, 2] == [1, 2]', 'Integer(1)'],
  ["[1, '2'] == [1, 2]", 'Integer(1)'],
  ['[1] == 1', 'Integer(0)'],
  ['[1] < [1, 0]', 'Integer(1)'],
  ['[2] > [1, 5]', 'Integer(1)'],
  ["[] > 'z'", 'Integer(1)'], // arrays order after everything else
  ["'z' > 99", 'Integer(0)'],
  ['99 < [0]', 'Integer(1)'],
  ['local_port == 443', 'Integer(1)'],
  ["local_port == '443'", 'Integer(1)'],
  ["remote_ip == '192.0.2.7'", 'Integer(1)'],
  ['is_tls == true', 'Integer(1)'],
]);

table('logic: truthiness of "", 0, 0.0 and []; && and || return the deciding left operand', [
  ['!0', 'Integer(1)'],
  ['!1', 'Integer(0)'],
  ["!''", 'Integer(1)'],
  ["!'0'", 'Integer(0)'], // a non-empty string is true, even "0"
  ['!0.0', 'Integer(1)'],
  ['![]', 'Integer(1)'],
  ['![0]', 'Integer(0)'],
  ['1 && 2', 'Integer(1)'],
  ["'x' && 'y'", 'Integer(1)'],
  ["'' && 1", 'String("")'],
  ['0 && 1', 'Integer(0)'],
  ["'x' || 0", 'String("x")'],
  ['0 || 5', 'Integer(1)'],
  ["0 || ''", 'Integer(0)'],
  ['1 ^ 0', 'Integer(1)'],
  ['1 ^ 1', 'Integer(0)'],
  ["'' ^ ''", 'Integer(0)'],
  ['true && !false', 'Integer(1)'],
]);

table('indexing: out of range and negative give ""; an index into a non-array reads the value', [
  ['[10, 20, 30][0]', 'Integer(10)'],
  ['[10, 20, 30][2]', 'Integer(30)'],
  ['[10, 20, 30][3]', 'String("")'],
  ['[10, 20, 30][-1]', 'String("")'],
  ["[10, 20, 30]['1']", 'Integer(20)'],
  ['[10, 20, 30][1.9]', 'Integer(20)'],
  ["[10, 20, 30]['x']", 'Integer(10)'],
  ["'abc'[0]", 'String("abc")'],
  ["'abc'[1]", 'String("")'],
  ["''[0]", 'String("")'],
  ['headers[1]', 'String("user-agent: test/1.0")'],
  ["split(url_path, '/')[1]", 'String("jmap")'],
]);

table('variables', [
  ['listener', 'String("https")'],
  ['remote_port', 'Integer(50123)'],
  ['protocol', 'String("https")'],
  ['is_tls', 'Integer(1)'],
  ['url', 'String("/jmap/session?x=1")'],
  ['method', 'String("GET")'],
  ['headers', 'Array([String("host: mail.example.com"), String("user-agent: test/1.0"), String("x-empty: ")])'],
]);

describe('evaluation details', () => {
  test('a variable the context leaves out reads as the empty string', () => {
    assert.equal(run('listener', {}), 'String("")');
    assert.equal(run('remote_port + 1', {}), 'Integer(1)');
  });

  test('constant subtrees are folded at compile time', () => {
    const folded = compile("1 + 2 * 3 == 7 && contains(['a', 'b'], 'b')");
    assert.ok(folded.ok && folded.expr.constant);
    const dynamic = compile('local_port + 1');
    assert.ok(dynamic.ok && !dynamic.expr.constant);
    const config = compile("config_get('server.hostname')");
    assert.ok(config.ok && !config.expr.constant, 'config lookups are evaluated against the context');
  });

  test('a constant left side decides && and || without evaluating the right', () => {
    const r = compile('true || remote_ip');
    assert.ok(r.ok && r.expr.constant);
  });

  test('the variables an expression reads are listed, so the caller can skip the rest', () => {
    const r = compile("starts_with(url_path, '/api') && remote_ip != '127.0.0.1'");
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual([...r.expr.variables].sort(), ['remote_ip', 'url_path']);
  });

  test('captures of matches() are readable as $n; a failed match clears them', () => {
    assert.equal(run("matches('^/(\\w+)/(\\w+)', url_path) && $1 + '-' + $2 == 'jmap-session'"), 'Integer(1)');
    assert.equal(run("matches('^/nope', url_path) || $1 == ''"), 'Integer(1)');
    assert.equal(run("matches('(?i)^/JMAP', url_path)"), 'Integer(1)');
    assert.equal(run("matches('^/(?P<a>jmap)', url_path) && $1"), 'Integer(1)');
    assert.equal(run("$3"), 'String("")');
  });

  test('limits: oversized values fail the evaluation instead of throwing', () => {
    const big = 'x'.repeat(LIMITS.maxStringLength - 10);
    const vars = { ...request, url: big };
    const r = compile('url + url');
    assert.ok(r.ok);
    if (!r.ok) return;
    const v = evaluate(r.expr, vars, ctx);
    assert.ok(isFailure(v));
    if (isFailure(v)) assert.match(v.message, /string grew beyond/);
  });

  test('limits: regex input longer than the limit fails the evaluation', () => {
    const r = compile("matches('a', url)");
    assert.ok(r.ok);
    if (!r.ok) return;
    const v = evaluate(r.expr, { ...request, url: 'a'.repeat(LIMITS.maxRegexInput + 1) }, ctx);
    assert.ok(isFailure(v));
  });

  test('limits: the work budget bounds repeated work on large inputs', () => {
    // 200 calls each reading a 64 KiB header value: 13 M units > the budget.
    const vars = { ...request, url: 'y'.repeat(65_536) };
    const src = Array.from({ length: 200 }, () => "contains(url, 'z')").join(' || ');
    const r = compile(src);
    assert.ok(r.ok);
    if (!r.ok) return;
    const v = evaluate(r.expr, vars, ctx);
    assert.ok(isFailure(v));
    if (isFailure(v)) assert.match(v.message, /budget/);
  });

  test('evaluate never throws, even when a variable holds something odd', () => {
    const r = compile('len(url) + url[0]');
    assert.ok(r.ok);
    if (!r.ok) return;
    const weird = { url: [[[[]]]] as unknown as Value };
    assert.doesNotThrow(() => evaluate(r.expr, weird, ctx));
  });
});
