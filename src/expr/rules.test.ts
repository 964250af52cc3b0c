import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseToml } from '../config/flatten.js';
import {
  compile,
  compileRules,
  evaluate,
  evaluateRules,
  explainRules,
  Float,
  headerLines,
  isFailure,
  toResultString,
  toStatusCode,
  type CompiledRules,
  type HttpVariables,
  type RuleError,
} from './index.js';
import { ctx } from './test-helpers.js';

function http(over: Partial<HttpVariables> = {}): HttpVariables {
  return {
    listener: 'public-http',
    remote_ip: '203.0.113.9',
    remote_port: 40000,
    local_ip: '198.51.100.1',
    local_port: 443,
    protocol: 'https',
    is_tls: 1,
    url: '/',
    url_path: '/',
    headers: [],
    method: 'GET',
    ...over,
  };
}

/** A request for `path` (query kept in `url` only). */
const at = (path: string, over: Partial<HttpVariables> = {}): HttpVariables => http({ url: path, url_path: path.split('?')[0]!, ...over });

function rulesFromToml(toml: string, key: string): CompiledRules {
  const { flat, diagnostics } = parseToml(toml, 'test.toml');
  assert.deepEqual(diagnostics, []);
  const r = compileRules(key, flat);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  assert.ok(r.rules);
  return r.rules;
}

function status(rules: CompiledRules, vars: HttpVariables): number | undefined {
  const v = evaluateRules(rules, vars, ctx);
  if (isFailure(v)) return assert.fail(v.message);
  return toStatusCode(v);
}

describe('Stalwart’s access-control examples (docs: HTTP › Access Control, TOML form)', () => {
  test('restriction by IP address: only 127.0.0.1 may reach /api', () => {
    const rules = rulesFromToml(
      `[server.http]
allowed-endpoint = [ { if = "starts_with( url_path, '/api' ) && remote_ip != '127.0.0.1'",
                       then = "404" },
                     { else = "200" } ]`,
      'server.http.allowed-endpoint',
    );
    assert.equal(status(rules, at('/api/settings', { remote_ip: '127.0.0.1' })), 200);
    assert.equal(status(rules, at('/api/settings', { remote_ip: '10.0.0.5' })), 404);
    assert.equal(status(rules, at('/api', { remote_ip: '::1' })), 404);
    assert.equal(status(rules, at('/jmap/session', { remote_ip: '10.0.0.5' })), 200);
    assert.deepEqual([...rules.variables].sort(), ['remote_ip', 'url_path']);
  });

  test('restriction by IP range: /robots.txt and /.well-known/* public, the rest from 192.168.1.* only', () => {
    // The current docs' text; the TOML-era page has the typo '192.180.1.' (tested below).
    const rules = rulesFromToml(
      `[http]
allowed-endpoint = [ { if = "starts_with( remote_ip, '192.168.1.' ) || contains( [ 'robots.txt', '.well-known' ], split( url_path, '/' )[1] )",
                       then = "200" },
                     { else = "400" } ]`,
      'http.allowed-endpoint',
    );
    assert.equal(status(rules, at('/robots.txt')), 200);
    assert.equal(status(rules, at('/.well-known/jmap')), 200);
    assert.equal(status(rules, at('/.well-known/acme-challenge/tok')), 200);
    assert.equal(status(rules, at('/jmap/session')), 400);
    assert.equal(status(rules, at('/')), 400);
    assert.equal(status(rules, at('/robots.txt.bak')), 400);
    assert.equal(status(rules, at('/api/.well-known')), 400);
    assert.equal(status(rules, at('/jmap/session', { remote_ip: '192.168.1.20' })), 200);
    assert.equal(status(rules, at('/jmap/session', { remote_ip: '192.168.10.2' })), 400);
  });

  test('the TOML-era docs text, verbatim, allows 192.180.1.* (a typo for 192.168.1.*)', () => {
    const rules = rulesFromToml(
      `[server.http]
allowed-endpoint = [ { if = "starts_with( remote_ip, '192.180.1.' ) || contains( [ 'robots.txt', '.well-known' ], split( url_path, '/' )[1] )",
                       then = "200" },
                     { else = "400" } ]`,
      'server.http.allowed-endpoint',
    );
    assert.equal(status(rules, at('/jmap', { remote_ip: '192.180.1.5' })), 200);
    assert.equal(status(rules, at('/jmap', { remote_ip: '192.168.1.5' })), 400);
  });

  test('restriction by listener: private-http unrestricted, public-http only /jmap, /robots.txt, /.well-known/*', () => {
    const rules = rulesFromToml(
      `[server.listener."private-http"]
bind = ["127.0.0.1:8080"]
protocol = "http"
tls.implicit = true

[server.listener."public-http"]
bind = ["[::]:443"]
protocol = "http"
tls.implicit = true

[server.http]
allowed-endpoint = [ { if = "listener == 'private-http' || contains( [ 'jmap', 'robots.txt', '.well-known' ], split( url_path, '/' )[1] )",
                       then = "200" },
                     { else = "404" } ]`,
      'server.http.allowed-endpoint',
    );
    const priv = { listener: 'private-http' };
    assert.equal(status(rules, at('/api/settings', priv)), 200);
    assert.equal(status(rules, at('/', priv)), 200);
    assert.equal(status(rules, at('/jmap/session')), 200);
    assert.equal(status(rules, at('/jmap')), 200);
    assert.equal(status(rules, at('/robots.txt')), 200);
    assert.equal(status(rules, at('/.well-known/jmap')), 200);
    assert.equal(status(rules, at('/api/settings')), 404);
    assert.equal(status(rules, at('/admin/')), 404);
    assert.equal(status(rules, at('/')), 404);
  });

  test('restriction by endpoint and method: JMAP only for OPTIONS', () => {
    const rules = rulesFromToml(
      `[server.http]
allowed-endpoint = [ { if = "!starts_with( url, '/jmap' ) || method == 'OPTIONS'",
                       then = "200"},
                     { else = "400" } ]`,
      'server.http.allowed-endpoint',
    );
    assert.equal(status(rules, at('/jmap/session')), 400);
    assert.equal(status(rules, at('/jmap?x=1', { method: 'POST' })), 400);
    assert.equal(status(rules, at('/jmap/session', { method: 'OPTIONS' })), 200);
    assert.equal(status(rules, at('/api/settings')), 200);
    assert.equal(status(rules, at('/.well-known/jmap')), 200);
  });

  test('the expressions overview example (192.180.1. sic) compiles and evaluates', () => {
    const rules = rulesFromToml(
      `[http]
allowed-endpoint = [
    { if = "starts_with(remote_ip, '192.180.1.') || contains(['robots.txt', '.well-known'], split(url_path, '/')[1])",
      then = "200" },
    { else = "400" }
]`,
      'http.allowed-endpoint',
    );
    assert.equal(status(rules, at('/robots.txt')), 200);
  });
});

describe('http.url in expression form', () => {
  const url = (src: string, vars: HttpVariables): string | undefined => {
    const r = compile(src);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    if (!r.ok) return undefined;
    const v = evaluate(r.expr, vars, ctx);
    assert.ok(!isFailure(v));
    return isFailure(v) ? undefined : toResultString(v);
  };

  test("'https://' + config_get('server.hostname')", () => {
    assert.equal(url("'https://' + config_get('server.hostname')", http()), 'https://mail.example.com');
  });

  test("protocol + '://' + key_get('default', 'hostname') + ':' + local_port (pre-0.11.2 spelling)", () => {
    const src = "protocol + '://' + key_get('default', 'hostname') + ':' + local_port";
    assert.equal(url(src, http()), 'https://mail.example.com:443');
    assert.equal(url(src, http({ protocol: 'http', is_tls: 0, local_port: 8080 })), 'http://mail.example.com:8080');
  });

  test("protocol + '://' + config_get('server.hostname') + ':' + local_port", () => {
    assert.equal(url("protocol + '://' + config_get('server.hostname') + ':' + local_port", http()), 'https://mail.example.com:443');
  });

  test('a result that is not a string is no URL (Stalwart then uses its default)', () => {
    assert.equal(url('local_port', http()), undefined);
  });

  test('a TOML literal string reads as the expression it spells', () => {
    const rules = rulesFromToml(`[http]\nurl = "'https://' + config_get('server.hostname')"`, 'http.url');
    const v = evaluateRules(rules, http(), ctx);
    assert.equal(v, 'https://mail.example.com');
  });
});

describe('result conversions', () => {
  test('toStatusCode', () => {
    assert.equal(toStatusCode(404), 404);
    assert.equal(toStatusCode('404'), 404);
    assert.equal(toStatusCode(new Float(403.9)), 403);
    assert.equal(toStatusCode('abc'), undefined);
    assert.equal(toStatusCode(''), undefined);
    assert.equal(toStatusCode(42), undefined);
    assert.equal(toStatusCode(1000), undefined);
    assert.equal(toStatusCode([200]), undefined);
  });

  test('headerLines builds the `headers` variable from rawHeaders', () => {
    assert.deepEqual(headerLines(['Host', 'a.example', 'X-Test', 'v']), ['host: a.example', 'x-test: v']);
    const r = compile("contains(headers, 'x-test: v')");
    assert.ok(r.ok);
    if (r.ok) assert.equal(evaluate(r.expr, http({ headers: headerLines(['X-Test', 'v']) }), ctx), 1);
  });
});

describe('rule lists: forms', () => {
  const compileMap = (entries: Record<string, string>, key = 'k') => compileRules(key, new Map(Object.entries(entries)));

  test('a key that is not set gives no rules', () => {
    const r = compileMap({ other: '1' });
    assert.deepEqual(r, { ok: true, rules: undefined });
  });

  test('an empty value is no rule, as in Stalwart (the default applies)', () => {
    assert.deepEqual(compileMap({ k: '  ' }), { ok: true, rules: undefined });
  });

  test('a single value (allowed-endpoint = 200) is a constant', () => {
    const r = compileMap({ k: '200' });
    assert.ok(r.ok && r.rules);
    if (!r.ok || !r.rules) return;
    assert.equal(r.rules.constant, true);
    assert.equal(r.rules.rules.length, 0);
    assert.equal(evaluateRules(r.rules, http(), ctx), 200);
  });

  test('then/else are expressions: "404" is a number, "\'text\'" a string', () => {
    const r = compileMap({ 'k.0000.if': 'true', 'k.0000.then': "'text'", 'k.0001.else': '404' });
    assert.ok(r.ok && r.rules);
    if (r.ok && r.rules) assert.equal(evaluateRules(r.rules, http(), ctx), 'text');
  });

  test('a list of only `else` is accepted (Stalwart ≥ 0.16’s default is { else = "200" })', () => {
    const r = compileMap({ 'k.0000.else': '200' });
    assert.ok(r.ok && r.rules?.constant);
  });

  test('entries run in numeric order, first match wins', () => {
    const r = compileMap({
      'k.10.if': 'true', 'k.10.then': '3',
      'k.2.if': "url_path == '/a'", 'k.2.then': '2',
      'k.1.if': "url_path == '/a' && method == 'POST'", 'k.1.then': '1',
      'k.11.else': '0',
    });
    assert.ok(r.ok && r.rules);
    if (!r.ok || !r.rules) return;
    assert.equal(evaluateRules(r.rules, at('/a', { method: 'POST' }), ctx), 1);
    assert.equal(evaluateRules(r.rules, at('/a'), ctx), 2);
    assert.equal(evaluateRules(r.rules, at('/b'), ctx), 3);
    assert.deepEqual(explainRules(r.rules, at('/a'), ctx), { rule: 1, value: 2 });
  });

  test('explainRules says -1 when `else` decided', () => {
    const r = compileMap({ 'k.0.if': 'false', 'k.0.then': '1', 'k.1.else': '2' });
    assert.ok(r.ok && r.rules);
    if (r.ok && r.rules) assert.deepEqual(explainRules(r.rules, http(), ctx), { rule: -1, value: 2 });
  });

  test('captures from an `if` are visible to its `then`', () => {
    const r = compileMap({ 'k.0.if': "matches('^/u/([a-z]+)$', url_path)", 'k.0.then': "'user ' + $1", 'k.1.else': "''" });
    assert.ok(r.ok && r.rules);
    if (r.ok && r.rules) assert.equal(evaluateRules(r.rules, at('/u/alice'), ctx), 'user alice');
  });

  test('an evaluation failure is returned, not thrown', () => {
    const r = compileMap({ 'k.0.if': 'url + url', 'k.0.then': '1', 'k.1.else': '2' });
    assert.ok(r.ok && r.rules);
    if (r.ok && r.rules) assert.ok(isFailure(evaluateRules(r.rules, at('x'.repeat(600_000)), ctx)));
  });
});

describe('rule lists: every structural problem is reported with its key', () => {
  const errorsOf = (entries: Record<string, string>): RuleError[] => {
    const r = compileRules('k', new Map(Object.entries(entries)));
    assert.equal(r.ok, false);
    return r.ok ? [] : [...r.errors];
  };
  const cases: [string, Record<string, string>, [string, RegExp][]][] = [
    ['if without then', { 'k.0.if': '1', 'k.1.else': '0' }, [['k.0.if', /`if` without `then`/]]],
    ['then without if', { 'k.0.then': '1', 'k.1.else': '0' }, [['k.0.then', /`then` without `if`/]]],
    ['no else', { 'k.0.if': '1', 'k.0.then': '1' }, [['k', /no `else`/]]],
    ['else first', { 'k.0.else': '1', 'k.1.if': '1', 'k.1.then': '2' }, [['k.0.else', /must be the last entry/]]],
    ['two elses', { 'k.0.if': '1', 'k.0.then': '1', 'k.1.else': '1', 'k.2.else': '2' }, [['k.1.else', /last entry/], ['k.2.else', /more than one `else`/]]],
    ['else inside a rule', { 'k.0.if': '1', 'k.0.then': '1', 'k.0.else': '2' }, [['k.0', /own last entry/]]],
    ['unknown property', { 'k.0.if': '1', 'k.0.when': '1', 'k.0.then': '1', 'k.1.else': '0' }, [['k.0.when', /unknown property `when`/]]],
    ['not an index', { 'k.first.if': '1', 'k.1.else': '0' }, [['k.first.if', /not part of a rule list/]]],
    ['value and list', { k: '200', 'k.0.else': '1' }, [['k', /both to a value and to a list/]]],
    ['same index twice', { 'k.0.if': '1', 'k.0000.then': '1', 'k.1.else': '0' }, [['k.0000.then', /numbered 0/], ['k.0.if', /without `then`/]]],
    [
      'syntax errors in several expressions, all reported',
      { 'k.0000.if': 'url_path ==', 'k.0000.then': '404', 'k.0001.if': 'bogus', 'k.0001.then': '(1', 'k.0002.else': '200' },
      [['k.0000.if', /value is missing/], ['k.0001.if', /unknown variable `bogus`/], ['k.0001.then', /missing '\)'/]],
    ],
  ];
  for (const [name, entries, want] of cases) {
    test(name, () => {
      const errors = errorsOf(entries);
      assert.deepEqual(
        errors.map((e) => e.key),
        want.map(([k]) => k),
        JSON.stringify(errors),
      );
      errors.forEach((e, i) => assert.match(e.message, want[i]![1]));
    });
  }

  test('an expression error carries the expression, offset, line and column', () => {
    const [e] = errorsOf({ k: "url_path == '/a' &&& 1" });
    assert.equal(e!.key, 'k');
    assert.equal(e!.expression, "url_path == '/a' &&& 1");
    assert.equal(e!.position, 19);
    assert.equal(e!.column, 20);
  });
});
