import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileCors, isPreflight, parseRequestedHeaders, STALWART_HEADERS, STALWART_METHODS, type CorsSettings } from './index.js';
import { parseOriginEntry, type SubdomainPattern } from './origin.js';

const STALWART_METHODS_VALUE = 'POST, GET, PATCH, PUT, DELETE, HEAD, OPTIONS';
const STALWART_HEADERS_VALUE = 'Authorization, Content-Type, Accept, X-Requested-With';

function cors(x: Partial<CorsSettings> & { origins?: string[] } = {}): CorsSettings {
  const exactOrigins: string[] = [];
  const patterns: SubdomainPattern[] = [];
  for (const e of x.origins ?? []) {
    const r = parseOriginEntry(e);
    if (!r.ok) throw new Error(`test setup: ${e} refused`);
    if (r.kind === 'exact') exactOrigins.push(r.origin);
    else patterns.push(r.pattern);
  }
  const { origins: _, ...rest } = x;
  return {
    mode: x.origins ? 'allowlist' : 'off',
    exactOrigins,
    patterns,
    allowCredentials: false,
    allowedMethods: undefined,
    allowedHeaders: undefined,
    exposeHeaders: [],
    maxAgeSeconds: 7200,
    ...rest,
  };
}

/** A flat header list as [name, value] pairs, which is what a reader of a failing diff wants. */
const pairs = (flat: readonly string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

test("Stalwart's lists are Stalwart's", () => {
  assert.equal(STALWART_METHODS.join(', '), STALWART_METHODS_VALUE);
  assert.equal(STALWART_HEADERS.join(', '), STALWART_HEADERS_VALUE);
});

describe('isPreflight: OPTIONS with Origin and Access-Control-Request-Method', () => {
  const cases: [string, string | undefined, string | undefined, boolean][] = [
    ['OPTIONS', 'https://a.example', 'PUT', true],
    ['OPTIONS', 'null', 'PUT', true],
    ['OPTIONS', undefined, 'PUT', false],
    ['OPTIONS', 'https://a.example', undefined, false],
    ['OPTIONS', undefined, undefined, false],
    ['GET', 'https://a.example', 'PUT', false],
    ['options', 'https://a.example', 'PUT', false],
  ];
  for (const [method, origin, acrm, expected] of cases) {
    test(`${method} origin=${origin} acrm=${acrm} → ${expected}`, () => assert.equal(isPreflight(method, origin, acrm), expected));
  }
});

describe('parseRequestedHeaders', () => {
  const cases: [string | undefined, string[] | undefined][] = [
    [undefined, []],
    ['', []],
    ['authorization', ['authorization']],
    ['Authorization, Content-Type', ['authorization', 'content-type']],
    ['x-a,,x-b , ,X-A', ['x-a', 'x-b']],
    ['bad header', undefined],
    ['x-a, bad;header', undefined],
    ['x-a\r\nx-b', undefined],
    [Array.from({ length: 64 }, (_, i) => `x-${i}`).join(','), Array.from({ length: 64 }, (_, i) => `x-${i}`)],
    [Array.from({ length: 65 }, (_, i) => `x-${i}`).join(','), undefined],
  ];
  for (const [value, expected] of cases) test(String(JSON.stringify(value)).slice(0, 60), () => assert.deepEqual(parseRequestedHeaders(value), expected));
});

describe('off: no CORS headers, no preflight', () => {
  const c = compileCors(cors({ mode: 'off' }));
  test('actual responses carry nothing', () => {
    for (const o of [undefined, 'https://a.example', 'null']) assert.deepEqual(c.actualHeaders(o), []);
  });
  test('a preflight is not granted and gets no headers', () => {
    const a = c.preflight('https://a.example', 'PUT', 'authorization');
    assert.equal(a.granted, false);
    assert.deepEqual(a.headers, []);
  });
});

describe('permissive (http.permissive-cors = true)', () => {
  const c = compileCors(cors({ mode: 'permissive' }));
  test('actual responses: `*` whatever the origin, never credentials, no Vary', () => {
    for (const o of [undefined, 'https://a.example', 'null', 'garbage']) assert.deepEqual(pairs(c.actualHeaders(o)), [['access-control-allow-origin', '*']]);
  });
  // [origin, method, request headers, granted, allow-headers]
  const cases: [string, string, string | undefined, boolean, string][] = [
    ['https://a.example', 'PUT', undefined, true, STALWART_HEADERS_VALUE],
    ['https://a.example', 'DELETE', 'authorization, content-type', true, STALWART_HEADERS_VALUE],
    ['https://a.example', 'PATCH', 'X-Custom', true, `${STALWART_HEADERS_VALUE}, x-custom`],
    ['https://a.example', 'POST', 'x-b, x-a, x-b', true, `${STALWART_HEADERS_VALUE}, x-b, x-a`],
    ['null', 'PUT', undefined, true, STALWART_HEADERS_VALUE],
    ['https://a.example', 'PROPFIND', undefined, false, STALWART_HEADERS_VALUE],
    ['https://a.example', 'put', undefined, false, STALWART_HEADERS_VALUE],
    ['https://a.example', 'BAD METHOD', undefined, false, STALWART_HEADERS_VALUE],
    ['https://a.example', 'PUT', 'bad header', false, STALWART_HEADERS_VALUE],
  ];
  for (const [origin, method, requested, granted, allowHeaders] of cases) {
    test(`preflight ${origin} ${method} [${requested ?? ''}] → ${granted ? 'granted' : 'refused'}`, () => {
      const a = c.preflight(origin, method, requested);
      assert.equal(a.granted, granted, a.reason);
      assert.equal(a.status, 204);
      assert.deepEqual(pairs(a.headers), [
        ['access-control-allow-origin', '*'],
        ['access-control-allow-methods', STALWART_METHODS_VALUE],
        ['access-control-allow-headers', allowHeaders],
        ['access-control-max-age', '7200'],
        ['vary', 'Access-Control-Request-Headers'],
      ]);
    });
  }
  test('credentials are never allowed, even if asked for', () => {
    const withCredentials = compileCors(cors({ mode: 'permissive', allowCredentials: true }));
    assert.ok(!withCredentials.actualHeaders('https://a.example').includes('access-control-allow-credentials'));
    assert.ok(!withCredentials.preflight('https://a.example', 'PUT', undefined).headers.includes('access-control-allow-credentials'));
  });
  test('max-age is configurable', () => {
    const a = compileCors(cors({ mode: 'permissive', maxAgeSeconds: 600 })).preflight('https://a.example', 'PUT', undefined);
    assert.deepEqual(pairs(a.headers).find(([n]) => n === 'access-control-max-age'), ['access-control-max-age', '600']);
  });
  test('configured lists replace Stalwart’s (a browser CalDAV client)', () => {
    const dav = compileCors(
      cors({ mode: 'permissive', allowedMethods: ['PROPFIND', 'REPORT', 'MKCALENDAR', 'PUT'], allowedHeaders: ['Authorization', 'Depth', 'If-Match', 'If-None-Match'], exposeHeaders: ['ETag'] }),
    );
    assert.deepEqual(pairs(dav.actualHeaders('https://a.example')), [
      ['access-control-allow-origin', '*'],
      ['access-control-expose-headers', 'ETag'],
    ]);
    const a = dav.preflight('https://a.example', 'PROPFIND', 'depth, authorization');
    assert.equal(a.granted, true, a.reason);
    assert.deepEqual(pairs(a.headers), [
      ['access-control-allow-origin', '*'],
      ['access-control-allow-methods', 'PROPFIND, REPORT, MKCALENDAR, PUT'],
      ['access-control-allow-headers', 'Authorization, Depth, If-Match, If-None-Match'],
      ['access-control-max-age', '7200'],
    ]);
    const patch = dav.preflight('https://a.example', 'PATCH', undefined);
    assert.equal(patch.granted, false, 'PATCH is in Stalwart’s list, not in the configured one');
    assert.deepEqual(pairs(patch.headers), pairs(a.headers), 'a refused method still gets the lists');
  });
});

describe('allowlist (http.cors.allowed-origins)', () => {
  const c = compileCors(cors({ origins: ['https://admin.example.com', 'https://*.example.org'] }));
  // [Origin header, headers of an actual response]
  const actual: [string | undefined, [string, string][]][] = [
    ['https://admin.example.com', [['vary', 'Origin'], ['access-control-allow-origin', 'https://admin.example.com']]],
    ['https://a.b.example.org', [['vary', 'Origin'], ['access-control-allow-origin', 'https://a.b.example.org']]],
    ['https://example.org', [['vary', 'Origin']]],
    ['https://evil-example.org', [['vary', 'Origin']]],
    ['https://example.org.evil.com', [['vary', 'Origin']]],
    ['http://admin.example.com', [['vary', 'Origin']]],
    ['null', [['vary', 'Origin']]],
    [undefined, [['vary', 'Origin']]],
  ];
  for (const [origin, expected] of actual) {
    test(`actual response for Origin ${origin}`, () => assert.deepEqual(pairs(c.actualHeaders(origin)), expected));
  }

  // [origin, method, request headers, status, granted]
  const preflights: [string, string, string | undefined, 204 | 403, boolean][] = [
    ['https://admin.example.com', 'PUT', 'authorization', 204, true],
    ['https://x.example.org', 'DELETE', undefined, 204, true],
    ['https://example.org', 'PUT', undefined, 403, false],
    ['https://evil.com', 'PUT', undefined, 403, false],
    ['null', 'PUT', undefined, 403, false],
    ['https://admin.example.com', 'PROPFIND', undefined, 204, false],
  ];
  for (const [origin, method, requested, status, granted] of preflights) {
    test(`preflight ${origin} ${method} → ${status} ${granted ? 'granted' : 'refused'}`, () => {
      const a = c.preflight(origin, method, requested);
      assert.equal(a.status, status);
      assert.equal(a.granted, granted, a.reason);
      if (status === 403) {
        assert.deepEqual(pairs(a.headers), [['vary', 'Origin']], 'a refused origin gets no CORS headers');
      } else {
        assert.deepEqual(pairs(a.headers), [
          ['access-control-allow-origin', origin],
          ['access-control-allow-methods', STALWART_METHODS_VALUE],
          ['access-control-allow-headers', STALWART_HEADERS_VALUE],
          ['access-control-max-age', '7200'],
          ['vary', 'Origin, Access-Control-Request-Headers'],
        ]);
      }
    });
  }

  test('credentials only with allow-credentials, and only for an allowed origin', () => {
    assert.ok(!c.actualHeaders('https://admin.example.com').includes('access-control-allow-credentials'));
    assert.ok(!c.preflight('https://admin.example.com', 'PUT', undefined).headers.includes('access-control-allow-credentials'));
    const cred = compileCors(cors({ origins: ['https://admin.example.com'], allowCredentials: true, exposeHeaders: ['ETag', 'X-Total'] }));
    assert.deepEqual(pairs(cred.actualHeaders('https://admin.example.com')), [
      ['vary', 'Origin'],
      ['access-control-allow-origin', 'https://admin.example.com'],
      ['access-control-allow-credentials', 'true'],
      ['access-control-expose-headers', 'ETag, X-Total'],
    ]);
    assert.deepEqual(pairs(cred.actualHeaders('https://evil.example.com')), [['vary', 'Origin']]);
    assert.deepEqual(pairs(cred.preflight('https://admin.example.com', 'PUT', undefined).headers).slice(0, 2), [
      ['access-control-allow-origin', 'https://admin.example.com'],
      ['access-control-allow-credentials', 'true'],
    ]);
    assert.deepEqual(pairs(cred.preflight('https://evil.example.com', 'PUT', undefined).headers), [['vary', 'Origin']]);
  });

  describe('configured methods and headers replace Stalwart’s lists', () => {
    const dav = compileCors(cors({ origins: ['https://admin.example.com'], allowedMethods: ['PROPFIND', 'GET'], allowedHeaders: ['Depth', 'If-Match'] }));
    const lists: [string, string][] = [
      ['access-control-allow-origin', 'https://admin.example.com'],
      ['access-control-allow-methods', 'PROPFIND, GET'],
      ['access-control-allow-headers', 'Depth, If-Match'],
      ['access-control-max-age', '7200'],
      ['vary', 'Origin'],
    ];
    // [method, request headers, granted]
    const cases: [string, string | undefined, boolean][] = [
      ['PROPFIND', 'depth', true],
      ['PROPFIND', 'Depth, If-Match', true],
      ['GET', undefined, true],
      ['POST', undefined, true], // a CORS-safelisted method never needs listing
      ['PUT', undefined, false],
      ['PATCH', 'depth', false],
      ['PROPFIND', 'x-other', false],
      ['PROPFIND', 'depth, authorization', false],
    ];
    for (const [method, requested, granted] of cases) {
      test(`${method} [${requested ?? ''}] → ${granted ? 'granted' : 'refused, lists still sent'}`, () => {
        const a = dav.preflight('https://admin.example.com', method, requested);
        assert.equal(a.granted, granted, a.reason);
        assert.equal(a.status, 204);
        assert.deepEqual(pairs(a.headers), lists);
      });
    }
  });

  test('`*` methods and headers echo what the preflight asks, and Vary says so', () => {
    const any = compileCors(cors({ origins: ['https://admin.example.com'], allowedMethods: ['*'], allowedHeaders: ['*'] }));
    const a = any.preflight('https://admin.example.com', 'MKCALENDAR', 'depth, x-a');
    assert.equal(a.granted, true, a.reason);
    assert.deepEqual(pairs(a.headers), [
      ['access-control-allow-origin', 'https://admin.example.com'],
      ['access-control-allow-methods', 'MKCALENDAR'],
      ['access-control-allow-headers', 'depth, x-a'],
      ['access-control-max-age', '7200'],
      ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
    ]);
  });
});

describe('cached answers', () => {
  const bases = [['x-plain', '1'], ['x-no-hsts', '2'], ['x-no-hsts', '2', 'strict-transport-security', 'max-age=60']] as const;

  test('a granted answer carries its complete list per transport: the base, then its own headers', () => {
    for (const settings of [cors({ mode: 'permissive' }), cors({ origins: ['https://admin.example.com'] })]) {
      const a = compileCors(settings, bases).preflight('https://admin.example.com', 'PUT', 'authorization');
      assert.equal(a.status, 204);
      assert.ok(a.sent, `${settings.mode}: no complete lists`);
      bases.forEach((base, transport) => assert.deepEqual(a.sent![transport], [...base, ...a.headers]));
    }
  });

  test('repeats, alternations and look-alike inputs each get the answer computed for their own inputs', () => {
    const settings = cors({ origins: ['https://admin.example.com', 'https://*.example.org'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['Depth'] });
    const c = compileCors(settings, bases);
    const fresh = () => compileCors(settings, bases);
    // Inputs that differ in one field only, so a cache keyed on too little would mix them up.
    const inputs: [string, string, string | undefined][] = [
      ['https://admin.example.com', 'PUT', 'depth'],
      ['https://admin.example.com', 'PUT', 'depth'],
      ['https://a.example.org', 'PUT', 'depth'],
      ['https://admin.example.com', 'PUT', undefined],
      ['https://admin.example.com', 'PUT', ''],
      ['https://admin.example.com', 'DELETE', 'depth'],
      ['https://evil.example', 'PUT', 'depth'],
      ['https://admin.example.com', 'PUT', 'depth'],
      ['https://admin.example.com', 'PUT', 'x-other'],
      ['https://evil.example', 'PUT', 'depth'],
    ];
    for (const [origin, method, requested] of inputs) {
      const got = c.preflight(origin, method, requested);
      const want = fresh().preflight(origin, method, requested);
      assert.deepEqual({ ...got }, { ...want }, `${origin} ${method} [${requested}]`);
    }
    assert.equal(c.preflight('https://admin.example.com', 'PUT', 'depth'), c.preflight('https://admin.example.com', 'PUT', 'depth'), 'a repeated preflight reuses its answer');
  });
});
