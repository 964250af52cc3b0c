import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { downstreamResponseHeaders, forwardedElement, upstreamRequestHeaders } from './headers.js';

const pairs = (flat: string[]) => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};
const facts = { peerIp: '192.0.2.1', believed: false, secure: true, host: 'mail.example.org' };
const opts = { preserveHost: true, upstreamHost: '127.0.0.1:8080' };

describe('upstreamRequestHeaders', () => {
  test('drops hop-by-hop fields, the ones Connection lists and HTTP/2 pseudo-headers; keeps order and duplicates of the rest', () => {
    const raw = [':method', 'GET', ':authority', 'mail.example.org', 'Connection', 'X-Hop, Keep-Alive', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Upgrade', 'h2c', 'Transfer-Encoding', 'chunked', 'Expect', '100-continue', 'Accept', 'a', 'Cookie', 'x=1', 'Cookie', 'y=2'];
    const out = pairs(upstreamRequestHeaders(raw, facts, opts));
    assert.deepEqual(out.slice(0, 3), [['Accept', 'a'], ['Cookie', 'x=1'], ['Cookie', 'y=2']]);
    assert.deepEqual(out.map(([n]) => n.toLowerCase()).slice(3), ['host', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
  });

  test("an untrusted client's forwarding fields are replaced by what Parapet saw", () => {
    const raw = ['Host', 'mail.example.org', 'X-Forwarded-For', '10.0.0.1', 'Forwarded', 'for=10.0.0.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'evil'];
    assert.deepEqual(pairs(upstreamRequestHeaders(raw, facts, opts)), [
      ['host', 'mail.example.org'],
      ['forwarded', 'for=192.0.2.1;proto=https;host=mail.example.org'],
      ['x-forwarded-for', '192.0.2.1'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'mail.example.org'],
    ]);
  });

  test("a believed chain is kept and the peer appended, as a proxy in the chain does", () => {
    const raw = ['Host', 'internal:80', 'X-Forwarded-For', '198.51.100.1, 10.0.0.2', 'X-Forwarded-For', '10.0.0.3', 'Forwarded', 'for=198.51.100.1', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'public.example'];
    const out = Object.fromEntries(pairs(upstreamRequestHeaders(raw, { ...facts, believed: true, host: 'internal:80' }, opts)));
    assert.equal(out['x-forwarded-for'], '198.51.100.1, 10.0.0.2, 10.0.0.3, 192.0.2.1');
    assert.equal(out.forwarded, 'for=198.51.100.1, for=192.0.2.1;proto=https;host="internal:80"');
    assert.equal(out['x-forwarded-proto'], 'https');
    assert.equal(out['x-forwarded-host'], 'public.example');
  });

  test("preserve-host = false sends the upstream's host; no Host at all falls back to it", () => {
    assert.equal(Object.fromEntries(pairs(upstreamRequestHeaders(['Host', 'a'], { ...facts, host: 'a' }, { ...opts, preserveHost: false }))).host, '127.0.0.1:8080');
    assert.equal(Object.fromEntries(pairs(upstreamRequestHeaders([], { ...facts, host: undefined }, opts))).host, '127.0.0.1:8080');
  });

  test('forwardedElement quotes IPv6 addresses and hosts with ports (RFC 7239 §6)', () => {
    assert.equal(forwardedElement('2001:db8::1', 'http', 'a.example'), 'for="[2001:db8::1]";proto=http;host=a.example');
    assert.equal(forwardedElement('192.0.2.1', 'https', '[::1]:8443'), 'for=192.0.2.1;proto=https;host="[::1]:8443"');
    assert.equal(forwardedElement('192.0.2.1', 'https', 'a"b'), 'for=192.0.2.1;proto=https;host="a\\"b"');
  });
});

describe('downstreamResponseHeaders', () => {
  test('drops hop-by-hop fields and the names Parapet manages; splits multi-valued fields', () => {
    const managed = new Set(['strict-transport-security', 'access-control-allow-origin', 'x-frame-options']);
    const out = downstreamResponseHeaders(
      {
        connection: 'keep-alive, x-internal',
        'x-internal': 'secret',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'access-control-allow-origin': '*',
        'strict-transport-security': 'max-age=1',
        'x-frame-options': 'ALLOW',
        'set-cookie': ['a=1', 'b=2'],
        'content-type': 'text/html',
        vary: 'Accept-Encoding',
      },
      (n) => managed.has(n),
    );
    assert.deepEqual(pairs(out), [
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['content-type', 'text/html'],
      ['vary', 'Accept-Encoding'],
    ]);
  });
});
