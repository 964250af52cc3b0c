import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './test-helpers.js';

function table(name: string, cases: readonly (readonly [string, string])[]): void {
  describe(name, () => {
    for (const [src, want] of cases) test(src, () => assert.equal(run(src), want));
  });
}

table('text functions (examples from Stalwart’s function reference first)', [
  ["trim(' hello ')", 'String("hello")'],
  ["trim_end('hello ')", 'String("hello")'],
  ["trim_start(' hello')", 'String("hello")'],
  ["trim('\\u00a0x\t')".replace('\\u00a0', '\u00a0'), 'String("x")'],
  ["trim('\uFEFFx')", 'String("\uFEFFx")'], // U+FEFF is not White_Space in Rust
  ["trim([' a ', 2])", 'Array([String("a"), String("2")])'],
  ["len('hello')", 'Integer(5)'],
  ["len('héllo')", 'Integer(6)'], // UTF-8 bytes, as Rust's str::len
  ['len([1, 2, 3])', 'Integer(3)'],
  ['len(12345)', 'Integer(5)'],
  ["to_lowercase('HELLO')", 'String("hello")'],
  ["to_uppercase('hello')", 'String("HELLO")'],
  ["to_lowercase(['A', 'B'])", 'Array([String("a"), String("b")])'],
  ["is_uppercase('HELLO')", 'Integer(1)'],
  ["is_uppercase('HELLO 1!')", 'Integer(1)'],
  ["is_uppercase('Hello')", 'Integer(0)'],
  ["is_lowercase('hello')", 'Integer(1)'],
  ["has_digits('hello2')", 'Integer(1)'],
  ["has_digits('hello')", 'Integer(0)'],
  ["count_spaces('hello world')", 'Integer(1)'],
  ["count_uppercase('Hello World')", 'Integer(2)'],
  ["count_lowercase('Hello World')", 'Integer(8)'],
  ["count_chars('hi there')", 'Integer(8)'],
  ["count_chars('né😀')", 'Integer(3)'],
  ["contains('Hello World', 'World')", 'Integer(1)'],
  ["contains('Hello World', 'world')", 'Integer(0)'],
  ["contains(['a', 'b'], 'b')", 'Integer(1)'],
  ["contains(['a', 'b'], 'c')", 'Integer(0)'],
  ["contains([1, 2], '2')", 'Integer(1)'],
  ['contains(12345, 34)', 'Integer(1)'],
  ["contains_ignore_case('Hello World', 'world')", 'Integer(1)'],
  ["contains_ignore_case(['RE', 'Fw'], 're')", 'Integer(1)'],
  ["contains_ignore_case(['RE', 'Fw'], 'r')", 'Integer(0)'], // items must equal, not contain
  ["eq_ignore_case('hello', 'HELLO')", 'Integer(1)'],
  ["eq_ignore_case('straße', 'STRASSE')", 'Integer(0)'], // ASCII case only, as Stalwart
  ["starts_with('Hello World', 'Hello')", 'Integer(1)'],
  ["starts_with(url_path, '/api')", 'Integer(0)'],
  ["ends_with('Hello World', 'World')", 'Integer(1)'],
  ["lines('a\nb\r\nc\n')", 'Array([String("a"), String("b"), String("c")])'],
  ['lines(5)', 'Integer(5)'],
  ["substring('hello world', 6, 5)", 'String("world")'],
  ["substring('héllo', 1, 2)", 'String("él")'],
  ["substring('hello', 3, 100)", 'String("lo")'],
  ["strip_prefix('/api/v1', '/api')", 'String("/v1")'],
  ["strip_prefix('/x', '/api')", 'String("")'],
  ["strip_suffix('file.txt', '.txt')", 'String("file")'],
  ["split('a,b,,c', ',')", 'Array([String("a"), String("b"), String(""), String("c")])'],
  ["split('', ',')", 'Array([String("")])'],
  ["split('ab', '')", 'Array([String(""), String("a"), String("b"), String("")])'],
  ["split('/', '/')", 'Array([String(""), String("")])'],
  ["rsplit('a.b.c', '.')", 'Array([String("c"), String("b"), String("a")])'],
  ["rsplit('aaa', 'aa')", 'Array([String(""), String("a")])'],
  ["split_once('k=v=w', '=')", 'Array([String("k"), String("v=w")])'],
  ["rsplit_once('k=v=w', '=')", 'Array([String("k=v"), String("w")])'],
  ["split_once('kv', '=')", 'String("")'],
  ["split_words('hello, big world 42 x-y')", 'Array([String("big"), String("world"), String("42")])'],
]);

table('array functions', [
  ["count(['email1@example.com', 'email2@example.com'])", 'Integer(2)'],
  ["count('x')", 'Integer(1)'],
  ["count('')", 'Integer(0)'],
  ["sort(['z', 'a', 'b'], true)", 'Array([String("a"), String("b"), String("z")])'],
  ["sort(['z', 'a', 'b'], false)", 'Array([String("z"), String("b"), String("a")])'],
  ['sort([3, 1, 2], true)', 'Array([Integer(1), Integer(2), Integer(3)])'],
  ["dedup(['a', 'b', 'a'])", 'Array([String("a"), String("b")])'],
  ["winnow(['a', '', 'b', ''])", 'Array([String("a"), String("b")])'],
  ["is_intersect(['a', 'b'], ['b', 'c'])", 'Integer(1)'],
  ["is_intersect(['a', 'b'], ['c'])", 'Integer(0)'],
  ["is_intersect(['a', 'b'], 'a')", 'Integer(1)'],
  ["is_intersect('a', 'a')", 'Integer(0)'],
]);

table('miscellaneous functions', [
  ["is_empty('')", 'Integer(1)'],
  ["is_empty('x')", 'Integer(0)'],
  ['is_empty([])', 'Integer(1)'],
  ['is_empty(0)', 'Integer(0)'],
  ["is_number('123')", 'Integer(1)'], // as Stalwart's docs say
  ['is_number(1.5)', 'Integer(1)'],
  ["is_number('12a')", 'Integer(0)'],
  ["is_number('inf')", 'Integer(0)'],
  ["is_ip_addr('192.168.1.1')", 'Integer(1)'],
  ["is_ip_addr('::1')", 'Integer(1)'],
  ["is_ip_addr('300.1.1.1')", 'Integer(0)'],
  ["is_ip_addr('fe80::1%eth0')", 'Integer(0)'],
  ["is_ip_addr('01.2.3.4')", 'Integer(0)'],
  ["is_ipv4_addr('192.0.2.1')", 'Integer(1)'],
  ["is_ipv4_addr('2001:db8::')", 'Integer(0)'],
  ["is_ipv6_addr('2001:db8::')", 'Integer(1)'],
  ["is_ipv6_addr('192.0.2.1')", 'Integer(0)'],
  ['is_ip_addr(remote_ip)', 'Integer(1)'],
  ["ip_reverse_name('192.0.2.1')", 'String("1.2.0.192")'],
  ["ip_reverse_name('2001:db8::1')", 'String("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2")'],
  ["ip_reverse_name('nope')", 'String("")'],
  ["if_then(is_tls, 'secure', 'plain')", 'String("secure")'],
]);

table('is_ip_in_cidr (Stalwart ≥ 0.16’s name; node:net BlockList)', [
  ["is_ip_in_cidr('192.168.1.20', '192.168.1.0/24')", 'Integer(1)'],
  ["is_ip_in_cidr('192.168.2.20', '192.168.1.0/24')", 'Integer(0)'],
  ["is_ip_in_cidr('10.1.2.3', '10.0.0.0/8')", 'Integer(1)'],
  ["is_ip_in_cidr('10.1.2.3', '10.1.2.3')", 'Integer(1)'],
  ["is_ip_in_cidr('::ffff:10.1.2.3', '10.0.0.0/8')", 'Integer(1)'],
  ["is_ip_in_cidr('2001:db8::5', '2001:db8::/32')", 'Integer(1)'],
  ["is_ip_in_cidr('2001:db9::5', '2001:db8::/32')", 'Integer(0)'],
  ["is_ip_in_cidr('10.1.2.3', '2001:db8::/32')", 'Integer(0)'],
  ["is_ip_in_cidr('10.1.2.3', '10.0.0.0/33')", 'Integer(0)'],
  ["is_ip_in_cidr('10.1.2.3', 'garbage')", 'Integer(0)'],
  ["is_ip_in_cidr('garbage', '0.0.0.0/0')", 'Integer(0)'],
  ["is_ip_in_cidr(remote_ip, '192.0.2.0/24')", 'Integer(1)'],
]);

table('configuration lookups', [
  ["config_get('server.hostname')", 'String("mail.example.com")'],
  ["config_get('no.such.key')", 'String("")'],
  ["key_get('default', 'hostname')", 'String("mail.example.com")'],
  ["key_get('', 'hostname')", 'String("mail.example.com")'],
  ["key_get('default', 'domain')", 'String("example.com")'],
  ["key_get('other', 'hostname')", 'String("")'],
]);

describe('configuration lookups fall back to the effective host name', () => {
  test('server.hostname unset: config_get and key_get answer the system host name', async () => {
    const { compile, evaluate } = await import('./index.js');
    const ctx = { configGet: () => undefined, hostname: 'box.local' };
    for (const src of ["config_get('server.hostname')", "key_get('default', 'hostname')"]) {
      const r = compile(src);
      assert.ok(r.ok);
      if (r.ok) assert.equal(evaluate(r.expr, {}, ctx), 'box.local');
    }
  });
});
