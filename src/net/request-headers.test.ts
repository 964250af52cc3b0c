// The decision's header fields, read from rawHeaders, must be exactly what node's own
// `req.headers` would have held: node itself is the oracle, over arbitrary header lists.
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decisionHeaders, decisionHeadersOf } from './request-headers.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** What node's lazily built `headers` object holds for these raw headers (HTTP/1.x). */
function nodeHeaders(raw: string[]): IncomingMessage['headers'] {
  const message = new IncomingMessage(new Socket());
  (message as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(raw, raw.length);
  return message.headers;
}

const FIELDS = ['host', 'origin', 'access-control-request-method', 'access-control-request-headers', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto'] as const;
const OTHERS = ['accept', 'authorization', 'hosts', 'orig', 'x-forwarded-host', 'cookie', 'content-length', 'access-control-request-private-network', 'set-cookie', 'date'];

/** A field name in one of the spellings clients send: lower, Title-Case, UPPER, or mixed. */
const spelled = (name: string) =>
  fc.constantFrom(0, 1, 2, 3).map((style) => {
    if (style === 0) return name;
    if (style === 1) return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    if (style === 2) return name.toUpperCase();
    return [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
  });

const value = fc.oneof(fc.constantFrom('', 'a', 'https://app.example', 'PUT', 'authorization, x-a', 'for=192.0.2.1', '10.0.0.1, 10.0.0.2', 'https'), fc.string({ maxLength: 20 }));
const rawHeaders = fc
  .array(fc.tuple(fc.constantFrom(...FIELDS, ...OTHERS).chain(spelled), value), { maxLength: 12 })
  .map((pairs) => pairs.flat());

describe('decisionHeaders', () => {
  test('holds what node.headers holds for the same raw headers, in any spelling and repetition', () => {
    fc.assert(
      fc.property(rawHeaders, (raw) => {
        // node's object, read the way HTTP/2's is: an independent reading of the same fields.
        assert.deepEqual(decisionHeaders(raw), decisionHeadersOf(nodeHeaders(raw)));
      }),
      { numRuns: 2000 },
    );
  });

  test('repeated fields: Host keeps the first, the others join with ", " as node does', () => {
    const raw = ['Host', 'a.example', 'host', 'b.example', 'Origin', 'https://a', 'ORIGIN', 'https://b', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2'];
    const h = decisionHeaders(raw);
    assert.equal(h.host, 'a.example');
    assert.equal(h.origin, 'https://a, https://b');
    assert.equal(h.xForwardedFor, '1.1.1.1, 2.2.2.2');
    assert.deepEqual(h, decisionHeadersOf(nodeHeaders(raw)));
  });

  test('names of the same length that are other fields are not taken', () => {
    const h = decisionHeaders(['Hoxt', 'a', 'Origim', 'b', 'Access-Control-Request-Metho_', 'c', 'X-Forwarded-Fox', 'd']);
    assert.deepEqual(Object.values(h), [undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('decisionHeadersOf', () => {
  test('reads a header object; HTTP/2 :authority stands in for Host; arrays join', () => {
    const h = decisionHeadersOf({ ':authority': 'h2.example', host: 'ignored.example', origin: 'https://app.example', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] });
    assert.equal(h.host, 'h2.example');
    assert.equal(h.origin, 'https://app.example');
    assert.equal(h.xForwardedFor, '1.1.1.1, 2.2.2.2');
    assert.equal(decisionHeadersOf({ host: 'h1.example' }).host, 'h1.example');
  });
});
