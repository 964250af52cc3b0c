// CORS over real sockets: what each mode sends, header by header, for the requests a browser makes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import type { Code } from '../src/errors.js';
import { rawRequest, rawSocket, withoutTransport, type RawResponse } from './helpers/raw.js';
import { listener, startServer, type TestServer } from './helpers/server.js';

type Mode = 'off' | 'permissive' | 'allowlist' | 'credentials';
type H = [string, string];

const CONFIGS: Record<Mode, string> = {
  off: '',
  permissive: '[http]\npermissive-cors = true\n',
  allowlist: '[http]\ncors.allowed-origins = ["https://app.example.com", "https://*.example.org"]\n',
  credentials: '[http]\ncors.allowed-origins = ["https://app.example.com"]\ncors.allow-credentials = true\ncors.expose-headers = ["ETag"]\n',
};

const APP = 'https://app.example.com';
const SUB = 'https://a.b.example.org';
const APEX = 'https://example.org';
const EVIL = 'https://evil.com';
const NEAR = 'https://example.org.evil.com';
const NEAR2 = 'https://evil-example.org';
const NULL = 'null';
const NONE = undefined;

const REQUESTS = {
  'GET /robots.txt': { method: 'GET', path: '/robots.txt' },
  'HEAD /robots.txt': { method: 'HEAD', path: '/robots.txt' },
  'POST /robots.txt': { method: 'POST', path: '/robots.txt' },
  'GET /nope': { method: 'GET', path: '/nope' },
  'preflight PUT /nope': { method: 'OPTIONS', path: '/nope', headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, x-custom' } },
  'preflight PUT /robots.txt': { method: 'OPTIONS', path: '/robots.txt', headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, x-custom' } },
  'preflight PROPFIND /nope': { method: 'OPTIONS', path: '/nope', headers: { 'access-control-request-method': 'PROPFIND' } },
  'OPTIONS /robots.txt': { method: 'OPTIONS', path: '/robots.txt' },
  'OPTIONS /nope': { method: 'OPTIONS', path: '/nope' },
} as const;
type RequestName = keyof typeof REQUESTS;

const TEXT: H = ['content-type', 'text/plain; charset=utf-8'];
const PROBLEM: H = ['content-type', 'application/problem+json'];
const ALLOW: H = ['allow', 'GET, HEAD'];
const STAR: H = ['access-control-allow-origin', '*'];
const VARY: H = ['vary', 'Origin'];
const CREDENTIALS: H = ['access-control-allow-credentials', 'true'];
const EXPOSE: H = ['access-control-expose-headers', 'ETag'];
const reflect = (o: string): H[] => [VARY, ['access-control-allow-origin', o]];
const METHODS: H = ['access-control-allow-methods', 'POST, GET, PATCH, PUT, DELETE, HEAD, OPTIONS'];
const HEADERS_ASKED: H = ['access-control-allow-headers', 'Authorization, Content-Type, Accept, X-Requested-With, x-custom'];
const HEADERS_STALWART: H = ['access-control-allow-headers', 'Authorization, Content-Type, Accept, X-Requested-With'];
const MAX_AGE: H = ['access-control-max-age', '7200'];
const PREFLIGHT_STAR: H[] = [STAR, METHODS, HEADERS_ASKED, MAX_AGE, ['vary', 'Access-Control-Request-Headers']];
const preflightFor = (o: string, ...credentials: H[]): H[] => [['access-control-allow-origin', o], ...credentials, METHODS, HEADERS_ASKED, MAX_AGE, ['vary', 'Origin, Access-Control-Request-Headers']];

// [mode, Origin, request, status, every header but Date/Connection/Keep-Alive/Content-Length, in order]
const MATRIX: [Mode, string | undefined, RequestName, number, H[]][] = [
  ['off', APP, 'GET /robots.txt', 200, [TEXT]],
  ['off', NONE, 'GET /robots.txt', 200, [TEXT]],
  ['off', NULL, 'GET /robots.txt', 200, [TEXT]],
  ['off', APP, 'POST /robots.txt', 405, [ALLOW, PROBLEM]],
  ['off', APP, 'GET /nope', 404, [PROBLEM]],
  ['off', APP, 'preflight PUT /nope', 404, [PROBLEM]],
  ['off', APP, 'preflight PUT /robots.txt', 405, [ALLOW, PROBLEM]],
  ['off', APP, 'OPTIONS /robots.txt', 405, [ALLOW, PROBLEM]],

  ['permissive', APP, 'GET /robots.txt', 200, [STAR, TEXT]],
  ['permissive', APP, 'HEAD /robots.txt', 200, [STAR, TEXT]],
  ['permissive', EVIL, 'GET /robots.txt', 200, [STAR, TEXT]],
  ['permissive', NULL, 'GET /robots.txt', 200, [STAR, TEXT]],
  ['permissive', NONE, 'GET /robots.txt', 200, [STAR, TEXT]],
  ['permissive', APP, 'POST /robots.txt', 405, [STAR, ALLOW, PROBLEM]],
  ['permissive', EVIL, 'GET /nope', 404, [STAR, PROBLEM]],
  ['permissive', APP, 'preflight PUT /nope', 204, PREFLIGHT_STAR],
  ['permissive', EVIL, 'preflight PUT /robots.txt', 204, PREFLIGHT_STAR],
  ['permissive', NULL, 'preflight PUT /nope', 204, PREFLIGHT_STAR],
  ['permissive', APP, 'preflight PROPFIND /nope', 204, [STAR, METHODS, HEADERS_STALWART, MAX_AGE, ['vary', 'Access-Control-Request-Headers']]],
  ['permissive', APP, 'OPTIONS /robots.txt', 405, [STAR, ALLOW, PROBLEM]],
  ['permissive', NONE, 'OPTIONS /nope', 404, [STAR, PROBLEM]],

  ['allowlist', APP, 'GET /robots.txt', 200, [...reflect(APP), TEXT]],
  ['allowlist', APP, 'HEAD /robots.txt', 200, [...reflect(APP), TEXT]],
  ['allowlist', SUB, 'GET /robots.txt', 200, [...reflect(SUB), TEXT]],
  ['allowlist', APEX, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', EVIL, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', NEAR, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', NEAR2, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', NULL, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', NONE, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['allowlist', APP, 'POST /robots.txt', 405, [...reflect(APP), ALLOW, PROBLEM]],
  ['allowlist', EVIL, 'POST /robots.txt', 405, [VARY, ALLOW, PROBLEM]],
  ['allowlist', APP, 'GET /nope', 404, [...reflect(APP), PROBLEM]],
  ['allowlist', EVIL, 'GET /nope', 404, [VARY, PROBLEM]],
  ['allowlist', APP, 'preflight PUT /nope', 204, preflightFor(APP)],
  ['allowlist', SUB, 'preflight PUT /robots.txt', 204, preflightFor(SUB)],
  ['allowlist', APEX, 'preflight PUT /nope', 403, [VARY, PROBLEM]],
  ['allowlist', EVIL, 'preflight PUT /nope', 403, [VARY, PROBLEM]],
  ['allowlist', NEAR, 'preflight PUT /nope', 403, [VARY, PROBLEM]],
  ['allowlist', NULL, 'preflight PUT /nope', 403, [VARY, PROBLEM]],
  ['allowlist', APP, 'OPTIONS /robots.txt', 405, [...reflect(APP), ALLOW, PROBLEM]],

  ['credentials', APP, 'GET /robots.txt', 200, [...reflect(APP), CREDENTIALS, EXPOSE, TEXT]],
  ['credentials', EVIL, 'GET /robots.txt', 200, [VARY, TEXT]],
  ['credentials', APP, 'GET /nope', 404, [...reflect(APP), CREDENTIALS, EXPOSE, PROBLEM]],
  ['credentials', APP, 'preflight PUT /nope', 204, preflightFor(APP, CREDENTIALS)],
  ['credentials', EVIL, 'preflight PUT /nope', 403, [VARY, PROBLEM]],
];

const servers = {} as Record<Mode, TestServer>;
const url = (mode: Mode) => servers[mode].url('web');

async function send(mode: Mode, origin: string | undefined, name: RequestName): Promise<RawResponse> {
  const r = REQUESTS[name];
  const headers: Record<string, string> = { ...('headers' in r ? r.headers : {}) };
  if (origin !== undefined) headers.origin = origin;
  return rawRequest(url(mode), { method: r.method, path: r.path, headers });
}

const corsHeaders = (res: RawResponse): H[] => res.headers.filter(([n]) => n.startsWith('access-control-') || n === 'vary');

describe('CORS over sockets', () => {
  before(async () => {
    for (const mode of Object.keys(CONFIGS) as Mode[]) servers[mode] = await startServer(`${listener('web')}${CONFIGS[mode]}`);
  });
  after(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  describe('the matrix: mode × Origin × request', () => {
    for (const [mode, origin, name, status, expected] of MATRIX) {
      test(`${mode.padEnd(11)} ${String(origin).padEnd(28)} ${name} → ${status}`, async () => {
        const res = await send(mode, origin, name);
        assert.equal(res.status, status, res.body);
        const headers = withoutTransport(res.headers);
        assert.deepEqual(
          headers.filter(([n]) => n !== 'content-length'),
          expected,
        );
        const length = headers.find(([n]) => n === 'content-length');
        if (status === 204) {
          assert.equal(length, undefined);
          assert.equal(res.body, '');
        } else {
          assert.ok(length, 'content-length');
          if (name.startsWith('HEAD')) assert.equal(res.body, '');
          else assert.equal(Number(length[1]), Buffer.byteLength(res.body));
        }
      });
    }
  });

  test('permissive: a preflight on any path, known or not, is answered 204 before routing', async () => {
    const paths = ['/', '/nope', '/api/v1/accounts?limit=5', '/robots.txt', '/healthz/live', '/admin/', '/.well-known/jmap', '/a/../b', '/%00'];
    for (const path of paths) {
      const res = await rawRequest(url('permissive'), { method: 'OPTIONS', path, headers: { origin: APP, 'access-control-request-method': 'DELETE' } });
      assert.equal(res.status, 204, path);
      assert.deepEqual(corsHeaders(res).slice(0, 2), [STAR, METHODS], path);
    }
  });

  test('off: a preflight is not granted, gets no CORS headers and is routed like any request', async () => {
    const cases: [string, number][] = [
      ['/nope', 404],
      ['/robots.txt', 405],
      ['/healthz/live', 405],
    ];
    for (const [path, status] of cases) {
      const res = await rawRequest(url('off'), { method: 'OPTIONS', path, headers: { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' } });
      assert.equal(res.status, status, path);
      assert.deepEqual(corsHeaders(res), [], path);
      assert.equal(res.headers.some(([n]) => n.startsWith('access-control-')), false, path);
    }
  });

  test('a plain OPTIONS (no Access-Control-Request-Method) is routed normally in every mode', async () => {
    for (const mode of Object.keys(CONFIGS) as Mode[]) {
      for (const [path, status] of [['/robots.txt', 405], ['/nope', 404]] as const) {
        const res = await rawRequest(url(mode), { method: 'OPTIONS', path, headers: { origin: APP } });
        assert.equal(res.status, status, `${mode} ${path}`);
        assert.equal(res.headers.some(([n]) => n === 'access-control-allow-methods' || n === 'access-control-max-age'), false, `${mode} ${path}: not a preflight answer`);
      }
      const noOrigin = await rawRequest(url(mode), { method: 'OPTIONS', path: '/nope', headers: { 'access-control-request-method': 'PUT' } });
      assert.equal(noOrigin.status, 404, `${mode}: Access-Control-Request-Method without Origin is not a preflight`);
    }
  });

  describe('every non-preflight error carries the mode’s CORS headers', () => {
    const expected: Record<Mode, H[]> = {
      off: [],
      permissive: [STAR],
      allowlist: reflect(APP),
      credentials: [...reflect(APP), CREDENTIALS, EXPOSE],
    };
    for (const mode of Object.keys(CONFIGS) as Mode[]) {
      test(`${mode}: 404, 405, and 400 for a malformed Host`, async () => {
        const notFound = await rawRequest(url(mode), { path: '/missing', headers: { origin: APP } });
        assert.equal(notFound.status, 404);
        assert.deepEqual(corsHeaders(notFound), expected[mode]);
        const notAllowed = await rawRequest(url(mode), { method: 'DELETE', path: '/robots.txt', headers: { origin: APP } });
        assert.equal(notAllowed.status, 405);
        assert.deepEqual(corsHeaders(notAllowed), expected[mode]);
        const badHost = await rawSocket(servers[mode].port('web'), `GET /robots.txt HTTP/1.1\r\nHost: bad host!\r\nOrigin: ${APP}\r\nConnection: close\r\n\r\n`);
        assert.equal(badHost.status, 400);
        assert.deepEqual(corsHeaders(badHost), expected[mode]);
        assert.equal(JSON.parse(badHost.body).status, 400);
        // A preflight with a malformed Host is refused as a bad request, not answered as a preflight.
        const badHostPreflight = await rawSocket(
          servers[mode].port('web'),
          `OPTIONS /nope HTTP/1.1\r\nHost: bad host!\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(badHostPreflight.status, 400);
        assert.deepEqual(corsHeaders(badHostPreflight), expected[mode]);
      });
    }
  });

  test('the HTTPS redirect carries the mode’s CORS headers too', async () => {
    const s = await startServer(`${listener('web')}${listener('secure', { tls: true })}[http]\nhsts = true\ncors.allowed-origins = ["${APP}"]\n`);
    try {
      const res = await rawRequest(s.url('web'), { path: '/robots.txt?x=1', headers: { origin: APP, host: 'mail.example.com' } });
      assert.equal(res.status, 301);
      assert.deepEqual(corsHeaders(res), reflect(APP));
      assert.deepEqual(res.headers.find(([n]) => n === 'location'), ['location', `https://mail.example.com:${s.port('secure')}/robots.txt?x=1`]);
      const denied = await rawRequest(s.url('web'), { method: 'POST', path: '/x', headers: { origin: EVIL, host: 'mail.example.com' } });
      assert.equal(denied.status, 308);
      assert.deepEqual(corsHeaders(denied), [VARY]);
    } finally {
      await s.close();
    }
  });
});

describe('CORS config errors, by code', () => {
  const LISTENER = listener('web');
  const load = (http: string) => loadConfig({ name: 'cors.toml', text: `${LISTENER}[http]\n${http}\n` });
  // [what, [http] body, code expected, key]
  const cases: [string, string, Code, string][] = [
    ['permissive and an allowlist', 'permissive-cors = true\ncors.allowed-origins = ["https://a.example"]', 'CFG_CORS_CONFLICT', 'http.cors.allowed-origins'],
    ['an origin with a path', 'cors.allowed-origins = ["https://a.example/app"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['an origin with a trailing slash', 'cors.allowed-origins = ["https://a.example/"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['an origin with a query', 'cors.allowed-origins = ["https://a.example?x"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['an origin without a scheme', 'cors.allowed-origins = ["a.example"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['`*` inside a host', 'cors.allowed-origins = ["https://a.*.example"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['`*` glued to a label', 'cors.allowed-origins = ["https://*example.org"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['a pattern over a TLD', 'cors.allowed-origins = ["https://*.org"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['`null`', 'cors.allowed-origins = ["null"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['`*`', 'cors.allowed-origins = ["*"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['userinfo', 'cors.allowed-origins = ["https://u@a.example"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['a port out of range', 'cors.allowed-origins = ["https://a.example:70000"]', 'CFG_CORS_ORIGIN', 'http.cors.allowed-origins'],
    ['credentials with permissive', 'permissive-cors = true\ncors.allow-credentials = true', 'CFG_CORS_WILDCARD_CREDENTIALS', 'http.cors.allow-credentials'],
    ['credentials with CORS off', 'cors.allow-credentials = true', 'CFG_CORS_WILDCARD_CREDENTIALS', 'http.cors.allow-credentials'],
    ['a method that is not a token', 'permissive-cors = true\ncors.allowed-methods = ["GET", "BAD METHOD"]', 'CFG_CORS_TOKEN', 'http.cors.allowed-methods'],
    ['a header that is not a token', 'permissive-cors = true\ncors.allowed-headers = ["X-Ok", "X:Bad"]', 'CFG_CORS_TOKEN', 'http.cors.allowed-headers'],
    ['an exposed header that is not a token', 'permissive-cors = true\ncors.expose-headers = ["ETag", "a\\u0000b"]', 'CFG_CORS_TOKEN', 'http.cors.expose-headers'],
  ];
  for (const [what, http, code, key] of cases) {
    test(`${what} → ${code}`, () => {
      const r = load(http);
      assert.equal(r.ok, false, `expected ${code}`);
      const found = r.diagnostics.filter((d) => d.code === code);
      assert.equal(found.length, 1, `expected one ${code}, got ${r.diagnostics.map((d) => d.code).join(', ')}`);
      assert.equal(found[0]!.key, key);
      assert.equal(found[0]!.severity, 'error');
    });
  }

  test('every bad entry is reported, not only the first', () => {
    const r = load('cors.allowed-origins = ["https://ok.example", "null", "*", "https://a/b", "nope.example"]');
    assert.equal(r.diagnostics.filter((d) => d.code === 'CFG_CORS_ORIGIN').length, 4);
  });

  test('the valid counterparts load without a CORS diagnostic', () => {
    for (const http of [
      'permissive-cors = true',
      'cors.allowed-origins = ["https://a.example", "https://*.example.org:8443", "http://localhost:5173"]\ncors.allow-credentials = true',
      'permissive-cors = true\ncors.allowed-methods = ["GET", "PROPFIND"]\ncors.allowed-headers = ["Depth", "*"]\ncors.expose-headers = ["ETag"]',
    ]) {
      const r = load(http);
      assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
      assert.deepEqual(r.diagnostics.filter((d) => d.code.startsWith('CFG_CORS_')), [], http);
    }
  });
});

describe("answers written outside the pipeline carry the policy's headers", () => {
  const names = (r: RawResponse, n: string) => r.headers.filter(([k]) => k === n).map(([, v]) => v);
  test("a parser's 431, 414 and 400 carry permissive CORS and http.headers, once", async () => {
    const s = await startServer(`${listener('web')}[http]\npermissive-cors = true\nheaders = ["X-Frame-Options: DENY"]\n`);
    try {
      const port = s.port('web');
      const answers = [
        await rawSocket(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
        await rawSocket(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`),
        await rawSocket(port, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ];
      assert.deepEqual(answers.map((a) => a.status), [431, 414, 400]);
      for (const a of answers) {
        assert.deepEqual(names(a, 'access-control-allow-origin'), ['*'], String(a.status));
        assert.deepEqual(names(a, 'x-frame-options'), ['DENY'], String(a.status));
        assert.deepEqual(names(a, 'connection'), ['close']);
        assert.equal(names(a, 'strict-transport-security').length, 0);
        assert.equal((JSON.parse(a.body) as { status: number }).status, a.status);
      }
    } finally {
      await s.close();
    }
  });

  test('in allowlist mode they carry Vary: Origin and no origin (none is known yet)', async () => {
    const s = await startServer(`${listener('web')}[http]\ncors.allowed-origins = ["https://app.example"]\n`);
    try {
      const a = await rawSocket(s.port('web'), `GET / HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
      assert.equal(a.status, 431);
      assert.deepEqual(names(a, 'vary'), ['Origin']);
      assert.equal(names(a, 'access-control-allow-origin').length, 0);
    } finally {
      await s.close();
    }
  });
});
