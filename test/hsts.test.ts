// HSTS over real sockets: which responses carry Strict-Transport-Security, the plain-HTTP
// redirect, forwarded-proto trust, and the config checks (DESIGN.md, "Transport security").
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import type { Agent, Response } from 'undici';
import { loadConfig, type LoadResult } from '../src/config/load.js';
import type { Code } from '../src/errors.js';
import { agentTrusting, get, h2request } from './helpers/http.js';
import { rawSocket } from './helpers/raw.js';
import { createCa, issueLeaf, type Leaf, type TestCa } from './helpers/pki.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';

const HOST = 'mail.example.test';
const DEFAULT_VALUE = 'max-age=31536000; includeSubDomains';
const STS = 'strict-transport-security';

let ca: TestCa;
let leaf: Leaf;
let agent: Agent;
before(async () => {
  ca = await createCa();
  leaf = await issueLeaf(ca, [HOST, 'other.example.test', 'localhost', 'foo.localhost']);
  agent = agentTrusting(ca.certPem, HOST);
});
after(() => agent.close());

/** A TLS listener `tls` and a plain one `web`, with the test certificate, plus `[http]` keys. */
const tlsAndPlain = (http: string) => `${listener('tls', { tls: true })}${listener('web')}${certificate('main', leaf.certPem, leaf.keyPem)}\n[http]\n${http}\n`;

async function withServer<T>(toml: string, fn: (s: TestServer) => Promise<T>): Promise<T> {
  const s = await startServer(toml);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** `https://mail.example.test:PORT` (resolved to 127.0.0.1 by the agent), or http for a plain listener. */
const at = (s: TestServer, id: string, host = HOST) => s.url(id, host);

/** Every Strict-Transport-Security line of a raw HTTP/1.1 response head. */
const stsLines = (raw: string): string[] => {
  const head = raw.split('\r\n\r\n')[0] ?? '';
  return head.split('\r\n').filter((l) => /^strict-transport-security\s*:/i.test(l));
};

/** Sends raw bytes over TCP (plain) or TLS and collects the reply until the server closes. */
function raw(port: number, payload: string, opts: { tls?: { servername: string } } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket: net.Socket = opts.tls
      ? tls.connect({ host: '127.0.0.1', port, servername: opts.tls.servername, ca: ca.certPem, ALPNProtocols: ['http/1.1'] }, () => socket.write(payload))
      : net.connect(port, '127.0.0.1', () => socket.write(payload));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete reply within 5 s; got ${JSON.stringify(text)}`));
    }, 5000);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const status = (rawReply: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(rawReply)?.[1] ?? NaN);
const header = (rawReply: string, name: string): string | undefined => {
  const head = rawReply.split('\r\n\r\n')[0] ?? '';
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
};

/** Asserts exactly one HSTS header with this value (a duplicate would be joined with ", "). */
function assertSts(r: Response, value: string, what: string): void {
  assert.equal(r.headers.get(STS), value, `${what}: ${STS}`);
}
function assertNoSts(r: Response, what: string): void {
  assert.equal(r.headers.get(STS), null, `${what}: no ${STS} expected`);
}

describe('http.hsts = true: every response over TLS carries one header', () => {
  let s: TestServer;
  let tlsUrl: string;
  before(async () => {
    // The access rule cannot be evaluated for /rule-fails (a list is not a status code): a 500.
    s = await startServer(
      tlsAndPlain(`hsts = true\npermissive-cors = true\nallowed-endpoint = [ { if = "url_path == '/rule-fails'", then = "split(url_path, '/')" }, { else = "200" } ]`),
    );
    tlsUrl = at(s, 'tls');
  });
  after(() => s.close());

  const cases: { name: string; path: string; method?: string; headers?: Record<string, string>; body?: string; status: number }[] = [
    { name: '200', path: '/healthz/live', status: 200 },
    { name: '200 robots.txt', path: '/robots.txt', status: 200 },
    { name: '200 HEAD', path: '/healthz/live', method: 'HEAD', status: 200 },
    { name: '404 unknown path', path: '/no/such/thing?x=1', status: 404 },
    { name: '405 POST /robots.txt', path: '/robots.txt', method: 'POST', status: 405 },
    { name: '405 DELETE /healthz/live', path: '/healthz/live', method: 'DELETE', status: 405 },
    {
      name: '204 CORS preflight',
      path: '/api/settings',
      method: 'OPTIONS',
      headers: { Origin: 'https://admin.example.test', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization' },
      status: 204,
    },
    { name: '404 actual CORS request', path: '/nothing/here', headers: { Origin: 'https://admin.example.test' }, status: 404 },
    { name: '500 access rule that cannot be evaluated', path: '/rule-fails', status: 500 },
    { name: '401 management API without credentials', path: '/api/settings/list', headers: { Origin: 'https://admin.example.test' }, status: 401 },
    { name: '413 management API body too large', path: '/api/auth/login', method: 'POST', body: 'x'.repeat(1_100_000), status: 413 },
  ];
  for (const c of cases) {
    test(`${c.name}: ${DEFAULT_VALUE}`, async () => {
      const r = await get(`${tlsUrl}${c.path}`, { method: c.method ?? 'GET', headers: c.headers ?? {}, ...(c.body ? { body: c.body } : {}), dispatcher: agent });
      await r.arrayBuffer();
      assert.equal(r.status, c.status);
      assertSts(r, DEFAULT_VALUE, c.name);
    });
  }

  test('the preflight answer is a real CORS answer, carrying HSTS too', async () => {
    const r = await get(`${tlsUrl}/anything`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://admin.example.test', 'Access-Control-Request-Method': 'DELETE' },
      dispatcher: agent,
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /DELETE/);
    assertSts(r, DEFAULT_VALUE, 'preflight');
  });

  test('exactly one header line on the wire (raw TLS, HTTP/1.1)', async () => {
    for (const [method, path, code] of [
      ['GET', '/healthz/live', 200],
      ['GET', '/missing', 404],
      ['POST', '/robots.txt', 405],
    ] as const) {
      const reply = await raw(s.port('tls'), `${method} ${path} HTTP/1.1\r\nHost: ${HOST}:${s.port('tls')}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, {
        tls: { servername: HOST },
      });
      assert.equal(status(reply), code);
      assert.deepEqual(stsLines(reply).map((l) => l.toLowerCase()), [`${STS}: ${DEFAULT_VALUE.toLowerCase()}`], `${method} ${path}`);
    }
  });

  test('HTTP/2 responses carry it too (200, 404, 405)', async () => {
    const port = s.port('tls');
    for (const [path, method, code] of [
      ['/healthz/live', 'GET', 200],
      ['/nope', 'GET', 404],
      ['/robots.txt', 'POST', 405],
    ] as const) {
      const r = await h2request(`https://127.0.0.1:${port}${path}`, ca.certPem, { ':authority': `${HOST}:${port}`, ':method': method }, HOST);
      assert.equal(r.alpn, 'h2');
      assert.equal(r.status, code);
      assert.equal(r.headers[STS], DEFAULT_VALUE, `HTTP/2 ${method} ${path}`);
    }
  });

  test('HTTP/2 preflight carries it', async () => {
    const port = s.port('tls');
    const r = await h2request(
      `https://127.0.0.1:${port}/x`,
      ca.certPem,
      { ':authority': `${HOST}:${port}`, ':method': 'OPTIONS', origin: 'https://admin.example.test', 'access-control-request-method': 'PATCH' },
      HOST,
    );
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers[STS], DEFAULT_VALUE);
  });

  test('not sent when the host is an IP literal or localhost (over TLS)', async () => {
    const port = s.port('tls');
    for (const h of ['127.0.0.1', 'localhost', 'foo.localhost']) {
      const r = await get(`https://${h}:${port}/healthz/live`, { dispatcher: agent });
      assert.equal(r.status, 200, h);
      assertNoSts(r, h);
    }
    // Same server, same connection kind: a real name does get it (so the absence above is the host's doing).
    const named = await get(`https://${HOST}:${port}/healthz/live`, { dispatcher: agent });
    assertSts(named, DEFAULT_VALUE, HOST);
    for (const h of [`[::1]:${port}`, `127.0.0.1`, `LOCALHOST:${port}`, `localhost.`]) {
      const reply = await raw(port, `GET /missing HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, { tls: { servername: HOST } });
      assert.equal(status(reply), 404, h);
      assert.deepEqual(stsLines(reply), [], h);
    }
    // Node's HTTP/2 client derives :authority from servername, so name the IP explicitly.
    for (const authority of [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`]) {
      const h2 = await h2request(`https://127.0.0.1:${port}/healthz/live`, ca.certPem, { ':authority': authority }, HOST);
      assert.equal(h2.status, 200);
      assert.equal(h2.headers[STS], undefined, `HTTP/2 with :authority ${authority}`);
    }
  });

  test('never over plain HTTP: not on the redirect, not on exempt paths, not on errors', async () => {
    const web = at(s, 'web');
    const redirect = await get(`${web}/admin/`, { dispatcher: agent });
    assert.equal(redirect.status, 301);
    assertNoSts(redirect, 'plain 301');
    const post = await get(`${web}/admin/`, { method: 'POST', body: 'x', dispatcher: agent });
    assert.equal(post.status, 308);
    assertNoSts(post, 'plain 308');
    const live = await get(`${web}/healthz/live`, { dispatcher: agent });
    assert.equal(live.status, 200);
    assertNoSts(live, 'plain exempt 200');
    const acme = await get(`${web}/.well-known/acme-challenge/x`, { dispatcher: agent });
    assert.equal(acme.status, 404);
    assertNoSts(acme, 'plain exempt 404');
    const bad = await raw(s.port('web'), 'GET /admin/ HTTP/1.1\r\nHost: bad/host\r\nConnection: close\r\n\r\n');
    assert.equal(status(bad), 400);
    assert.deepEqual(stsLines(bad), []);
  });

  test('a plain preflight is redirected (308), without HSTS', async () => {
    const r = await get(`${at(s, 'web')}/x`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://admin.example.test', 'Access-Control-Request-Method': 'PUT' },
      dispatcher: agent,
    });
    assert.equal(r.status, 308);
    assertNoSts(r, 'plain preflight');
  });
});

describe("answers written outside the pipeline (a parser's 431)", () => {
  test('carry HSTS over TLS when the client named a host that takes it (SNI); not without a name, nor over plain HTTP', async () => {
    await withServer(tlsAndPlain('hsts = true'), async (s) => {
      const big = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`;
      const named = await rawSocket(s.port('tls'), big(HOST), { ca: ca.certPem, servername: HOST });
      assert.equal(named.status, 431);
      assert.deepEqual(named.headers.filter(([n]) => n === STS).map(([, v]) => v), [DEFAULT_VALUE]);
      const unnamed = await rawSocket(s.port('tls'), big(HOST), { ca: ca.certPem, servername: undefined });
      assert.equal(unnamed.status, 431);
      assert.equal(unnamed.headers.filter(([n]) => n === STS).length, 0, 'no SNI: the host is unknown');
      const local = await rawSocket(s.port('tls'), big('localhost'), { ca: ca.certPem, servername: 'localhost' });
      assert.equal(local.headers.filter(([n]) => n === STS).length, 0, 'never to localhost');
      const plain = await rawSocket(s.port('web'), big(HOST));
      assert.equal(plain.status, 431);
      assert.equal(plain.headers.filter(([n]) => n === STS).length, 0, 'never over plain HTTP');
    });
  });
});

describe('the plain-HTTP redirect', () => {
  let s: TestServer;
  let web: string;
  let tlsPort: number;
  before(async () => {
    s = await startServer(tlsAndPlain('hsts = true'));
    web = at(s, 'web');
    tlsPort = s.port('tls');
    assert.notEqual(tlsPort, s.port('web'));
  });
  after(() => s.close());

  for (const [method, code] of [
    ['GET', 301],
    ['HEAD', 301],
    ['POST', 308],
    ['PUT', 308],
    ['DELETE', 308],
  ] as const) {
    test(`${method} → ${code} to https://host:<HTTPS port>/same/path?and=query`, async () => {
      const body = method === 'POST' || method === 'PUT' ? '{"a":1}' : undefined;
      const r = await get(`${web}/api/settings/list?prefix=http&limit=5`, { method, dispatcher: agent, ...(body ? { body } : {}) });
      await r.arrayBuffer();
      assert.equal(r.status, code);
      assert.equal(r.headers.get('location'), `https://${HOST}:${tlsPort}/api/settings/list?prefix=http&limit=5`);
    });
  }

  test('the Location is the HTTPS listener, and a client following it lands there with HSTS', async () => {
    const r = await get(`${web}/robots.txt?v=1`, { dispatcher: agent });
    const location = r.headers.get('location');
    assert.ok(location);
    const followed = await get(location, { dispatcher: agent });
    assert.equal(followed.status, 200);
    assert.match(await followed.text(), /^User-agent: \*/);
    assertSts(followed, DEFAULT_VALUE, 'after the redirect');
  });

  test('a Host without a port still gets the HTTPS port', async () => {
    const reply = await raw(s.port('web'), `GET /x?y=1 HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    assert.equal(status(reply), 301);
    assert.equal(header(reply, 'location'), `https://${HOST}:${tlsPort}/x?y=1`);
  });

  test('an IPv6 Host is bracketed in the Location', async () => {
    const reply = await raw(s.port('web'), `GET /x HTTP/1.1\r\nHost: [::1]:${s.port('web')}\r\nConnection: close\r\n\r\n`);
    assert.equal(status(reply), 301);
    assert.equal(header(reply, 'location'), `https://[::1]:${tlsPort}/x`);
  });

  for (const badHost of ['exa mple.com', 'bad/host', 'a@b.example', 'mail.example.test:99999', '[::1']) {
    test(`a malformed Host (${badHost}) gets 400 and no Location`, async () => {
      const reply = await raw(s.port('web'), `GET /admin/ HTTP/1.1\r\nHost: ${badHost}\r\nConnection: close\r\n\r\n`);
      assert.equal(status(reply), 400, reply);
      assert.equal(header(reply, 'location'), undefined);
      assert.doesNotMatch(reply, /https:\/\//);
    });
  }

  test('an HTTP/1.0 request without Host gets 400, not a redirect', async () => {
    const reply = await raw(s.port('web'), 'GET /admin/ HTTP/1.0\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.[01] 400 /);
    assert.equal(header(reply, 'location'), undefined);
  });

  for (const path of ['/.well-known/acme-challenge/x', '/healthz/live', '/healthz/ready']) {
    test(`${path} is not redirected`, async () => {
      const r = await get(`${web}${path}`, { dispatcher: agent });
      assert.notEqual(r.status, 301);
      assert.notEqual(r.status, 308);
      assert.equal(r.headers.get('location'), null);
    });
  }

  test('paths that only look exempt are redirected', async () => {
    for (const path of ['/healthz', '/.well-known/acme-challenge', '/.well-known/security.txt', '/x/healthz/live']) {
      const r = await get(`${web}${path}`, { dispatcher: agent });
      assert.equal(r.status, 301, path);
      assert.equal(r.headers.get('location'), `https://${HOST}:${tlsPort}${path}`);
    }
  });
});

describe('http.url fixes the redirect target', () => {
  test('the Location uses http.url\'s host and no port, whatever the request said', () =>
    withServer(tlsAndPlain(`hsts = true\nurl = "https://${HOST}"`), async (s) => {
      const r = await get(`${at(s, 'web', 'other.example.test')}/a/b?c=d`, { dispatcher: agent });
      assert.equal(r.status, 301);
      assert.equal(r.headers.get('location'), `https://${HOST}/a/b?c=d`);
      const post = await get(`${at(s, 'web', 'other.example.test')}/a`, { method: 'POST', body: '', dispatcher: agent });
      assert.equal(post.status, 308);
      assert.equal(post.headers.get('location'), `https://${HOST}/a`);
      // A malformed Host is still refused before any redirect.
      const reply = await raw(s.port('web'), 'GET /a HTTP/1.1\r\nHost: exa mple.com\r\nConnection: close\r\n\r\n');
      assert.equal(status(reply), 400);
      assert.equal(header(reply, 'location'), undefined);
    }));
});

describe('HSTS off', () => {
  for (const [name, http] of [
    ['absent', 'permissive-cors = true'],
    ['hsts = false', 'hsts = false'],
  ] as const) {
    test(`${name}: no header over TLS (HTTP/1.1 and HTTP/2), plain HTTP served without a redirect`, () =>
      withServer(tlsAndPlain(http), async (s) => {
        for (const path of ['/healthz/live', '/missing']) {
          const r = await get(`${at(s, 'tls')}${path}`, { dispatcher: agent });
          assertNoSts(r, `TLS ${path}`);
        }
        const port = s.port('tls');
        const h2 = await h2request(`https://127.0.0.1:${port}/healthz/live`, ca.certPem, { ':authority': `${HOST}:${port}` }, HOST);
        assert.equal(h2.status, 200);
        assert.equal(h2.headers[STS], undefined);
        const plain = await get(`${at(s, 'web')}/robots.txt`, { dispatcher: agent });
        assert.equal(plain.status, 200);
        assert.equal(plain.headers.get('location'), null);
        assertNoSts(plain, 'plain');
      }));
  }
});

describe('HSTS keys', () => {
  const cases: { name: string; http: string; value: string }[] = [
    { name: 'hsts-max-age = "30d"', http: 'hsts-max-age = "30d"', value: 'max-age=2592000; includeSubDomains' },
    { name: 'hsts-max-age = "730d"', http: 'hsts-max-age = "730d"', value: 'max-age=63072000; includeSubDomains' },
    // A bare number is seconds here (as in the header), not milliseconds.
    { name: 'hsts-max-age = 604800', http: 'hsts-max-age = 604800', value: 'max-age=604800; includeSubDomains' },
    { name: 'hsts-max-age = "604800"', http: 'hsts-max-age = "604800"', value: 'max-age=604800; includeSubDomains' },
    { name: 'hsts-include-subdomains = false', http: 'hsts-include-subdomains = false', value: 'max-age=31536000' },
    { name: 'hsts-preload = true', http: 'hsts-preload = true', value: 'max-age=31536000; includeSubDomains; preload' },
    { name: 'include-subdomains false and 30d', http: 'hsts-include-subdomains = false\nhsts-max-age = "30d"', value: 'max-age=2592000' },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.value}`, () =>
      withServer(tlsAndPlain(`hsts = true\n${c.http}`), async (s) => {
        const r = await get(`${at(s, 'tls')}/healthz/live`, { dispatcher: agent });
        assertSts(r, c.value, c.name);
        const missing = await get(`${at(s, 'tls')}/missing`, { dispatcher: agent });
        assertSts(missing, c.value, `${c.name} on a 404`);
      }));
  }

  test('hsts-redirect = false: plain HTTP is served, still without the header; TLS keeps it', () =>
    withServer(tlsAndPlain('hsts = true\nhsts-redirect = false'), async (s) => {
      for (const [method, path, code] of [
        ['GET', '/robots.txt', 200],
        ['GET', '/missing', 404],
        ['POST', '/robots.txt', 405],
      ] as const) {
        const r = await get(`${at(s, 'web')}${path}`, { method, dispatcher: agent });
        assert.equal(r.status, code, `${method} ${path}`);
        assert.equal(r.headers.get('location'), null);
        assertNoSts(r, `plain ${method} ${path}`);
      }
      assertSts(await get(`${at(s, 'tls')}/robots.txt`, { dispatcher: agent }), DEFAULT_VALUE, 'TLS');
    }));

  test('an http.headers entry naming Strict-Transport-Security does not make a second one', () =>
    withServer(tlsAndPlain('hsts = true\nhsts-max-age = "30d"\nheaders = ["Strict-Transport-Security: max-age=5", "X-Frame-Options: DENY"]'), async (s) => {
      const reply = await raw(s.port('tls'), `GET /healthz/live HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, { tls: { servername: HOST } });
      assert.equal(status(reply), 200);
      assert.deepEqual(stsLines(reply).map((l) => l.toLowerCase()), [`${STS}: max-age=2592000; includesubdomains`]);
      assert.equal(header(reply, 'x-frame-options'), 'DENY');
    }));
});

describe('behind a reverse proxy (plain listener, forwarded protocol)', () => {
  const proxied = (trusted: string) => `${listener('web')}\n[http]\nhsts = true\nuse-x-forwarded = true\ntrusted-proxies = [${trusted}]\n`;

  test('a trusted proxy saying https: the header, no redirect', () =>
    withServer(proxied('"127.0.0.1"'), async (s) => {
      const web = at(s, 'web');
      for (const headers of [{ 'X-Forwarded-Proto': 'https' }, { Forwarded: 'for=203.0.113.9;proto=https' }, { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' }] as Record<string, string>[]) {
        const what = JSON.stringify(headers);
        const r = await get(`${web}/robots.txt`, { headers, dispatcher: agent });
        assert.equal(r.status, 200, what);
        assert.equal(r.headers.get('location'), null, what);
        assertSts(r, DEFAULT_VALUE, what);
        const missing = await get(`${web}/missing`, { headers, dispatcher: agent });
        assert.equal(missing.status, 404, what);
        assertSts(missing, DEFAULT_VALUE, `${what} 404`);
      }
      // The same proxy forwarding plain http, or saying nothing: redirected, no header.
      for (const headers of [{}, { 'X-Forwarded-Proto': 'http' }, { Forwarded: 'for=203.0.113.9;proto=http' }] as Record<string, string>[]) {
        const what = JSON.stringify(headers);
        const r = await get(`${web}/robots.txt`, { headers, dispatcher: agent });
        assert.equal(r.status, 301, what);
        assertNoSts(r, what);
      }
      // Secure, but the host is an IP literal: still no header.
      const ip = await get(`${at(s, 'web', '127.0.0.1')}/robots.txt`, { headers: { 'X-Forwarded-Proto': 'https' }, dispatcher: agent });
      assert.equal(ip.status, 200);
      assertNoSts(ip, 'IP literal behind a proxy');
    }));

  test('an untrusted peer saying https changes nothing', () =>
    withServer(proxied('"10.0.0.0/8"'), async (s) => {
      const web = at(s, 'web');
      for (const headers of [{ 'X-Forwarded-Proto': 'https' }, { Forwarded: 'for=203.0.113.9;proto=https' }] as Record<string, string>[]) {
        const what = JSON.stringify(headers);
        const r = await get(`${web}/robots.txt?x=1`, { headers, dispatcher: agent });
        assert.equal(r.status, 301, what);
        assert.equal(r.headers.get('location'), `https://${HOST}/robots.txt?x=1`, what);
        assertNoSts(r, what);
      }
    }));
});

describe('config checks', () => {
  const LISTENERS = `${listener('web')}${listener('tls', { tls: true })}`;
  const load = (text: string): LoadResult => loadConfig({ name: 'hsts.toml', text });
  const codes = (r: LoadResult): Code[] => r.diagnostics.map((d) => d.code);

  const refused: { name: string; http: string }[] = [
    { name: 'preload with max-age 30d', http: 'hsts = true\nhsts-preload = true\nhsts-max-age = "30d"' },
    { name: 'preload with max-age one second short of a year', http: 'hsts = true\nhsts-preload = true\nhsts-max-age = 31535999' },
    { name: 'preload without includeSubDomains', http: 'hsts = true\nhsts-preload = true\nhsts-include-subdomains = false' },
  ];
  for (const c of refused) {
    test(`${c.name}: refused with CFG_HSTS_PRELOAD`, () => {
      const r = load(`${LISTENERS}\n[http]\n${c.http}\n`);
      assert.equal(r.ok, false);
      const d = r.diagnostics.find((x) => x.code === 'CFG_HSTS_PRELOAD');
      assert.ok(d, codes(r).join(', '));
      assert.equal(d.severity, 'error');
      assert.equal(d.key, 'http.hsts-preload');
    });
  }

  for (const http of ['hsts = true\nhsts-preload = true', 'hsts = true\nhsts-preload = true\nhsts-max-age = "730d"']) {
    test(`preload with its requirements met loads (${http.split('\n').slice(1).join(', ')})`, () => {
      const r = load(`${LISTENERS}\n[http]\n${http}\n`);
      assert.equal(r.ok, true, codes(r).join(', '));
      assert.ok(!codes(r).includes('CFG_HSTS_PRELOAD'));
    });
  }

  test('HSTS on with only a plain listener: CFG_HSTS_UNDELIVERABLE warning, still loads', () => {
    const r = load(`${listener('web')}\n[http]\nhsts = true\n`);
    assert.equal(r.ok, true, codes(r).join(', '));
    const d = r.diagnostics.find((x) => x.code === 'CFG_HSTS_UNDELIVERABLE');
    assert.ok(d, codes(r).join(', '));
    assert.equal(d.severity, 'warning');
  });

  const deliverable: { name: string; toml: string }[] = [
    { name: 'use-x-forwarded on', toml: `${listener('web')}\n[http]\nhsts = true\nuse-x-forwarded = true\ntrusted-proxies = ["127.0.0.1"]\n` },
    { name: 'use-x-forwarded on without trusted proxies', toml: `${listener('web')}\n[http]\nhsts = true\nuse-x-forwarded = true\n` },
    { name: 'a TLS listener', toml: `${LISTENERS}\n[http]\nhsts = true\n` },
    { name: 'HSTS off', toml: `${listener('web')}\n[http]\nhsts = false\n` },
  ];
  for (const c of deliverable) {
    test(`no CFG_HSTS_UNDELIVERABLE with ${c.name}`, () => {
      const r = load(c.toml);
      assert.equal(r.ok, true, codes(r).join(', '));
      assert.ok(!codes(r).includes('CFG_HSTS_UNDELIVERABLE'), codes(r).join(', '));
    });
  }
});
