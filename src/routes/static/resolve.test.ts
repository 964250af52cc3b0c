import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodePath, directoryLocation, segmentsInside } from './resolve.js';

describe('decodePath', () => {
  // [path below the prefix, segments and trailing slash, or the refusal's status]
  const cases: [string, { segments: string[]; slash: boolean } | 400 | 404][] = [
    ['', { segments: [], slash: false }],
    ['/', { segments: [], slash: true }],
    ['/a/b.txt', { segments: ['a', 'b.txt'], slash: false }],
    ['/a//b/', { segments: ['a', 'b'], slash: true }],
    ['/caf%C3%A9%20menu.txt', { segments: ['café menu.txt'], slash: false }],
    ['/%252e%252e/x', { segments: ['%2e%2e', 'x'], slash: false }],
    ['/...txt', 404],
    ['/.well-known/x', { segments: ['.well-known', 'x'], slash: false }],
    ['/a/.well-known/x', 404],
    ['/.env', 404],
    ['/%2eenv', 404],
    ['/.git/config', 404],
    ['/..', 400],
    ['/.', 400],
    ['/a/../b', 400],
    ['/%2e%2e/secret', 400],
    ['/%2E%2e%2fsecret', 400],
    ['/%2e', 400],
    ['/a%2fb', 400],
    ['/..%5csecret', 400],
    ['/a\\..\\..\\secret', 400],
    ['/%00', 400],
    ['/..%00/', 400],
    ['/a%', 400],
    ['/%E0%A4%A', 400],
    ['/%ff', 400],
  ];
  for (const [path, expected] of cases) {
    test(JSON.stringify(path), () => {
      const d = decodePath(path);
      if (typeof expected === 'number') {
        assert.equal(d.ok, false);
        assert.equal(!d.ok && d.status, expected);
      } else {
        assert.ok(d.ok);
        assert.deepEqual({ segments: d.segments, slash: d.trailingSlash }, expected);
      }
    });
  }
});

describe('segmentsInside', () => {
  test('the root itself and what is below it', () => {
    assert.deepEqual(segmentsInside('/srv/site', '/srv/site'), []);
    assert.deepEqual(segmentsInside('/srv/site', '/srv/site/a/b'), ['a', 'b']);
    assert.deepEqual(segmentsInside('/srv/site', '/srv/site/..x'), ['..x']);
  });
  test('a sibling with the root as a string prefix, the parent and elsewhere', () => {
    assert.equal(segmentsInside('/srv/site', '/srv/site2/a'), undefined);
    assert.equal(segmentsInside('/srv/site', '/srv'), undefined);
    assert.equal(segmentsInside('/srv/site', '/etc/passwd'), undefined);
  });
});

describe('directoryLocation', () => {
  const cases: [string, string[], string, string][] = [
    ['/site', ['docs'], '', '/site/docs/'],
    ['/site', ['docs'], '?a=1&b=2', '/site/docs/?a=1&b=2'],
    ['/site', [], '', '/site/'],
    ['', [], '', '/'],
    // `//evil.example` from a route at `/` must not become a protocol-relative URL.
    ['', ['evil.example'], '', '/evil.example/'],
    ['', ['a b', 'é?#'], '', '/a%20b/%C3%A9%3F%23/'],
    ['/site', ['docs'], '?x=\r\nSet-Cookie:a', '/site/docs/'],
  ];
  for (const [prefix, segments, query, expected] of cases) {
    test(`${prefix} ${JSON.stringify(segments)} ${JSON.stringify(query)}`, () => {
      assert.equal(directoryLocation(prefix, segments, query), expected);
    });
  }
});
