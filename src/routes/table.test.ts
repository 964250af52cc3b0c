import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteSettings } from '../config/routes.js';
import { isUnsafePath, pathBelow, RouteTable, underPrefix } from './table.js';

const r = (id: string, path: string, host?: string): RouteSettings => ({ id, path, host, target: { kind: 'static', root: '/srv', fallback: undefined } });

describe('RouteTable', () => {
  const table = new RouteTable([r('root', '/'), r('jmap', '/jmap'), r('deep', '/jmap/ws'), r('exact', '/jmap', 'mail.example.org'), r('sub', '/jmap', '*.example.org')]);

  test('longest prefix on segment boundaries', () => {
    assert.equal(table.match(undefined, '/jmap')?.id, 'jmap');
    assert.equal(table.match(undefined, '/jmap/ws/x')?.id, 'deep');
    assert.equal(table.match(undefined, '/jmap/wsx')?.id, 'jmap');
    assert.equal(table.match(undefined, '/jmapper')?.id, 'root');
    assert.equal(table.match(undefined, '/')?.id, 'root');
  });

  test('at equal length an exact host beats *.domain beats any host; the apex is not a subdomain', () => {
    assert.equal(table.match('mail.example.org', '/jmap/x')?.id, 'exact');
    assert.equal(table.match('a.b.example.org', '/jmap/x')?.id, 'sub');
    assert.equal(table.match('example.org', '/jmap/x')?.id, 'jmap');
    assert.equal(table.match('xexample.org', '/jmap/x')?.id, 'jmap');
    assert.equal(table.match('mail.example.org', '/jmap/ws')?.id, 'deep', 'a longer path beats a host match');
  });

  test('no route: undefined', () => {
    assert.equal(new RouteTable([r('a', '/a')]).match(undefined, '/b'), undefined);
    assert.equal(new RouteTable([r('a', '/a', 'x.example')]).match(undefined, '/a'), undefined);
  });

  test('pathBelow and underPrefix', () => {
    assert.equal(pathBelow(r('a', '/a'), '/a/b/c'), '/b/c');
    assert.equal(pathBelow(r('a', '/a'), '/a'), '');
    assert.equal(pathBelow(r('root', '/'), '/x'), '/x');
    assert.equal(underPrefix('/ab', '/a'), false);
  });
});

describe('isUnsafePath', () => {
  for (const p of ['/..', '/a/../b', '/a/./b', '/.', '/%2e%2e/x', '/%2E./x', '/.%2e', '/a\\b', '/a%5cb', '/a%5Cb', '/a%00b']) {
    test(`refuses ${p}`, () => assert.equal(isUnsafePath(p), true));
  }
  for (const p of ['/', '/a/b', '/a..b', '/...', '/.well-known/x', '/a%2fb', '/%2e%2e%2e', '/file.tar.gz']) {
    test(`lets ${p} through`, () => assert.equal(isUnsafePath(p), false));
  }
});
