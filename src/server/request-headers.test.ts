import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanHeaders } from './request-headers.js';

test('finds the decision headers whatever their case; ignores the rest', () => {
  const h = scanHeaders([
    'HOST', 'a.example', 'Origin', 'https://app.example', 'ACCESS-CONTROL-REQUEST-METHOD', 'PUT',
    'access-control-request-headers', 'authorization', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-proto', 'https',
    'Forwarded', 'for=2.2.2.2', 'Hostile', 'x', 'Origin2', 'y', 'User-Agent', 'z',
  ]);
  assert.deepEqual(h, {
    host: 'a.example',
    origin: 'https://app.example',
    requestMethod: 'PUT',
    requestHeaders: 'authorization',
    forwarded: 'for=2.2.2.2',
    xForwardedFor: '1.1.1.1',
    xForwardedProto: 'https',
  });
});

test("node's semantics: duplicates joined, the first Host counts, :authority wins", () => {
  const h = scanHeaders(['Host', 'first', 'host', 'second', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2', 'origin', 'a', 'Origin', 'b']);
  assert.equal(h.host, 'first');
  assert.equal(h.xForwardedFor, '1.1.1.1, 2.2.2.2');
  assert.equal(h.origin, 'a, b', 'two Origin headers never form an allowed origin');
  assert.equal(scanHeaders(['host', 'h1', ':authority', 'h2']).host, 'h2');
});

test('absent headers are undefined; a dangling name is ignored', () => {
  assert.deepEqual(scanHeaders(['origin']), {
    host: undefined, origin: undefined, requestMethod: undefined, requestHeaders: undefined,
    forwarded: undefined, xForwardedFor: undefined, xForwardedProto: undefined,
  });
});
