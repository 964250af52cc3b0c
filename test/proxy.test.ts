import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { agentTrusting, get } from './helpers/http.js';
import { createCa, issueLeaf, type Leaf, type TestCa } from './helpers/pki.js';
import { explainFromFile } from './helpers/explain.js';
import { rawRequest } from './helpers/raw.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const run = promisify(execFile);

/** A proxy route block. */
const route = (id: string, path: string, upstream: string, extra = '') => `\n[http.route.${id}]\npath = "${path}"\nupstream = "${upstream}"\n${extra}\n`;

const json = async (r: Response | import('undici').Response) => (await r.json()) as { method: string; url: string; headers: Record<string, string> };

describe('proxy routes: routing', () => {
  let a: Upstream;
  let b: Upstream;
  let s: TestServer;
  before(async () => {
    [a, b] = await Promise.all([startUpstream(), startUpstream()]);
    s = await startServer(
      `${listener('http')}${route('all', '/', a.origin)}${route('mail', '/jmap', b.origin)}${route('deep', '/jmap/deep', a.origin)}` +
        `${route('named', '/jmap', a.origin, 'host = "mail.example.test"')}${route('wild', '/jmap', b.origin, 'host = "*.example.org"')}`,
    );
  });
  after(async () => {
    await s.close();
    await Promise.all([a.close(), b.close()]);
  });

  const whoAnswers = async (path: string, host?: string) => {
    const before = { a: a.seen.length, b: b.seen.length };
    const r = await rawRequest(s.url('http'), { path, headers: host ? { host } : {} });
    assert.equal(r.status, 200, `${path} on ${host ?? 'no host'}: ${r.body}`);
    const answered = a.seen.length > before.a ? 'a' : b.seen.length > before.b ? 'b' : 'none';
    return { answered, url: (JSON.parse(r.body) as { url: string }).url };
  };

  test('the longest path prefix wins, matched on segment boundaries; path and query reach the upstream as sent', async () => {
    assert.deepEqual(await whoAnswers('/jmap/session?x=1'), { answered: 'b', url: '/jmap/session?x=1' });
    assert.deepEqual(await whoAnswers('/jmap'), { answered: 'b', url: '/jmap' });
    assert.deepEqual(await whoAnswers('/jmap/deep/x'), { answered: 'a', url: '/jmap/deep/x' });
    assert.deepEqual(await whoAnswers('/jmapx'), { answered: 'a', url: '/jmapx' });
    assert.deepEqual(await whoAnswers('/other/page'), { answered: 'a', url: '/other/page' });
  });

  test('a route with a host takes that host (exact beats *.domain beats any host); the apex is not a subdomain', async () => {
    assert.equal((await whoAnswers('/jmap/x', 'mail.example.test')).answered, 'a');
    assert.equal((await whoAnswers('/jmap/x', 'MAIL.example.test:8080')).answered, 'a');
    assert.equal((await whoAnswers('/jmap/x', 'a.example.org')).answered, 'b');
    assert.equal((await whoAnswers('/jmap/x', 'example.org')).answered, 'b', 'the apex falls to the any-host /jmap route (b too)');
    const before = a.seen.length;
    await whoAnswers('/jmap/x', 'example.org');
    assert.equal(a.seen.length, before);
  });

  test('an absolute-form target is served as its origin form, on the host its URI names (RFC 9112 §3.2.2)', async () => {
    const before = a.seen.length;
    const r = await rawRequest(s.url('http'), { path: 'http://mail.example.test/jmap/session?x=1', headers: { host: 'other.example' } });
    assert.equal(r.status, 200);
    assert.equal(a.seen.length, before + 1, 'the exact-host route took it');
    assert.equal(a.seen.at(-1)?.url, '/jmap/session?x=1');
    assert.equal(a.seen.at(-1)?.headers.host, 'mail.example.test');
    const bad = await rawRequest(s.url('http'), { path: 'http://user@mail.example.test/jmap/x' });
    assert.equal(bad.status, 400, 'userinfo in the authority is not a host');
  });

  test("Parapet's own endpoints stay its own under a `/` route", async () => {
    const before = a.seen.length + b.seen.length;
    assert.equal((await get(`${s.url('http')}/healthz/live`)).status, 200);
    assert.equal((await get(`${s.url('http')}/api/settings/list`)).status, 401);
    assert.equal((await get(`${s.url('http')}/admin/`)).status, 200);
    assert.equal(a.seen.length + b.seen.length, before, 'nothing reached an upstream');
  });

  test('dot segments, backslashes and NUL are refused before any upstream sees them', async () => {
    const before = a.seen.length + b.seen.length;
    for (const path of ['/jmap/../api/x', '/jmap/%2e%2e/secret', '/jmap/.%2E/secret', '/jmap/a\\b', '/jmap/a%5cb', '/jmap/a%00b', '/./x']) {
      const { stdout } = await run('curl', ['-s', '--path-as-is', '-o', '/dev/null', '-w', '%{http_code}', `${s.url('http')}${path}`]);
      assert.equal(stdout, '400', path);
    }
    assert.equal(a.seen.length + b.seen.length, before);
  });

  test('the answer to `parapet explain` names the route', async () => {
    const e = explainFromFile(s.configPath, { method: 'GET', path: '/jmap/session', ip: '127.0.0.1', scheme: 'http', host: 'a.example.org' });
    assert.equal(e.step, 'proxy');
    assert.equal(e.route, 'wild');
    assert.equal(e.decision, `forwarded to ${b.origin} (http.route.wild); the upstream's status and body are sent with Parapet's headers below, which replace the upstream's copies of them`);
    // What explain lists is what the live server sends on top of the upstream's own headers.
    const live = await rawRequest(s.url('http'), { path: '/jmap/session', headers: { host: 'a.example.org' } });
    for (const h of e.headers) assert.ok(live.headers.some(([n, v]) => n === h.name && v === h.value), `${h.name}: ${h.value}`);
  });
});

describe('proxy routes: headers for the upstream and back', () => {
  let up: Upstream;
  let s: TestServer;
  let trusted: TestServer;
  before(async () => {
    up = await startUpstream();
    s = await startServer(`${listener('http')}${route('app', '/app', up.origin)}${route('raw', '/raw', up.origin, 'preserve-host = false')}`);
    trusted = await startServer(`${listener('http')}[http]\nuse-x-forwarded = true\ntrusted-proxies = ["127.0.0.1"]\n${route('app', '/app', up.origin)}`);
  });
  after(async () => {
    await Promise.all([s.close(), trusted.close()]);
    await up.close();
  });

  test('hop-by-hop fields and the ones Connection names are removed; end-to-end fields pass', async () => {
    const r = await rawRequest(s.url('http'), {
      path: '/app/x',
      headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-connection': 'keep-alive', 'x-end': 'kept', authorization: 'Bearer t' },
    });
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    for (const gone of ['x-hop', 'keep-alive', 'te', 'proxy-connection']) assert.equal(seen.headers[gone], undefined, gone);
    assert.equal(seen.headers['x-end'], 'kept');
    assert.equal(seen.headers.authorization, 'Bearer t');
  });

  test("the client's forwarding claims are replaced by what Parapet saw, unless they came from a trusted proxy", async () => {
    const spoof = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', forwarded: 'for=203.0.113.9' };
    const answer = await rawRequest(s.url('http'), { path: '/app/who', headers: { ...spoof, host: 'site.example.test' } });
    const direct = (JSON.parse(answer.body) as { headers: Record<string, string> }).headers;
    assert.equal(direct['x-forwarded-for'], '127.0.0.1');
    assert.equal(direct['x-forwarded-proto'], 'http');
    assert.equal(direct['x-forwarded-host'], 'site.example.test');
    assert.equal(direct.forwarded, 'for=127.0.0.1;proto=http;host=site.example.test');
    assert.equal(direct.host, 'site.example.test', 'the client Host is kept by default');

    const viaProxy = (await json(await get(`${trusted.url('http')}/app/who`, { headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' } }))).headers;
    assert.equal(viaProxy['x-forwarded-for'], '198.51.100.7, 127.0.0.1', 'the peer is appended to the trusted chain');
    assert.equal(viaProxy['x-forwarded-proto'], 'https');
    assert.equal(viaProxy['x-forwarded-host'], 'public.example');
  });

  test('connections to the upstream are kept alive and reused, across a reload too', async () => {
    const from = up.seen.length;
    for (let i = 0; i < 20; i++) assert.equal((await get(`${s.url('http')}/app/keep/${i}`)).status, 200);
    assert.ok((await s.server.reload()).ok);
    for (let i = 0; i < 5; i++) assert.equal((await get(`${s.url('http')}/app/keep/after/${i}`)).status, 200);
    const ports = new Set(up.seen.slice(from).map((r) => r.remotePort));
    assert.equal(ports.size, 1, `25 sequential requests used ${ports.size} upstream connections`);
  });

  test('preserve-host = false sends the upstream its own host', async () => {
    const seen = (await json(await get(`${s.url('http')}/raw/x`))).headers;
    assert.equal(seen.host, new URL(up.origin).host);
  });

  test('an IPv6 client is quoted in Forwarded', async (t) => {
    let v6: TestServer;
    try {
      v6 = await startServer(`${listener('http', { bind: '[::1]:0' })}${route('app', '/app', up.origin)}`);
    } catch {
      return t.skip('no IPv6 loopback here');
    }
    try {
      const seen = (await json(await get(`http://[::1]:${v6.port('http')}/app/x`))).headers;
      assert.equal(seen['x-forwarded-for'], '::1');
      assert.match(seen.forwarded!, /^for="\[::1\]";proto=http;host="\[::1\]:\d+"$/);
    } finally {
      await v6.close();
    }
  });
});

describe('proxy routes: one policy for every response', () => {
  let ca: TestCa;
  let leaf: Leaf;
  let up: Upstream;
  before(async () => {
    ca = await createCa();
    leaf = await issueLeaf(ca, ['mail.example.test']);
    up = await startUpstream();
  });
  after(() => up.close());

  const tlsConfig = (http: string) => `${listener('https', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}[http]\nhsts = true\n${http}\n${route('app', '/app', up.origin)}`;

  test("the upstream's own CORS and HSTS headers are replaced by Parapet's: each sent once", async () => {
    const s = await startServer(tlsConfig('permissive-cors = true'));
    try {
      const r = await rawRequest(s.url('https'), { path: '/app/own-headers', ca: ca.certPem, servername: 'mail.example.test', headers: { host: 'mail.example.test', origin: 'https://web.example' } });
      const named = (n: string) => r.headers.filter(([k]) => k === n).map(([, v]) => v);
      assert.deepEqual(named('access-control-allow-origin'), ['*']);
      assert.deepEqual(named('access-control-allow-credentials'), [], 'never with *');
      assert.equal(named('strict-transport-security').length, 1);
      assert.match(named('strict-transport-security')[0]!, /^max-age=31536000/);
      assert.deepEqual(named('x-upstream'), ['yes']);
      assert.deepEqual(named('vary'), ['Accept-Encoding']);
      assert.equal(r.body, 'own headers');
    } finally {
      await s.close();
    }
  });

  test('with CORS off the upstream decides its own CORS headers', async () => {
    const s = await startServer(`${listener('http')}${route('app', '/app', up.origin)}`);
    try {
      const r = await rawRequest(s.url('http'), { path: '/app/own-headers' });
      assert.deepEqual(r.headers.filter(([k]) => k === 'access-control-allow-origin'), [['access-control-allow-origin', '*']]);
    } finally {
      await s.close();
    }
  });

  for (const mode of [
    { name: 'permissive', http: 'permissive-cors = true', origin: 'https://web.example', allow: '*' },
    { name: 'allowlist', http: 'cors.allowed-origins = ["https://web.example"]', origin: 'https://web.example', allow: 'https://web.example' },
  ]) {
    test(`CORS ${mode.name}: preflights through a route are answered by Parapet and never forwarded`, async () => {
      const s = await startServer(tlsConfig(mode.http));
      try {
        const before = up.seen.length;
        const r = await rawRequest(s.url('https'), {
          method: 'OPTIONS',
          path: '/app/resource',
          ca: ca.certPem,
          servername: 'mail.example.test',
          headers: { host: 'mail.example.test', origin: mode.origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' },
        });
        assert.equal(r.status, 204);
        assert.deepEqual(r.headers.filter(([k]) => k === 'access-control-allow-origin').map(([, v]) => v), [mode.allow]);
        assert.equal(up.seen.length, before, 'the upstream saw no preflight');
        // The actual request is proxied and carries the mode's headers.
        const actual = await rawRequest(s.url('https'), { method: 'PUT', path: '/app/resource', ca: ca.certPem, servername: 'mail.example.test', headers: { host: 'mail.example.test', origin: mode.origin } });
        assert.equal(actual.status, 200);
        assert.equal(up.seen.at(-1)?.method, 'PUT');
        assert.deepEqual(actual.headers.filter(([k]) => k === 'access-control-allow-origin').map(([, v]) => v), [mode.allow]);
      } finally {
        await s.close();
      }
    });
  }

  test('CORS off: OPTIONS (a preflight or WebDAV’s) is forwarded to the upstream', async () => {
    const s = await startServer(`${listener('http')}${route('app', '/app', up.origin)}`);
    try {
      const before = up.seen.length;
      const r = await rawRequest(s.url('http'), { method: 'OPTIONS', path: '/app/dav', headers: { origin: 'https://web.example', 'access-control-request-method': 'PROPFIND' } });
      assert.equal(r.status, 200);
      assert.equal(up.seen.length, before + 1);
      assert.equal(up.seen.at(-1)?.method, 'OPTIONS');
      const propfind = await rawRequest(s.url('http'), { method: 'PROPFIND', path: '/app/dav', headers: { depth: '1' } });
      assert.equal(propfind.status, 200);
      assert.equal(up.seen.at(-1)?.method, 'PROPFIND');
      assert.equal(up.seen.at(-1)?.headers.depth, '1');
    } finally {
      await s.close();
    }
  });

  test('http.headers apply to proxied responses and replace the upstream copy', async () => {
    const s = await startServer(`${listener('http')}[http]\nheaders = ["X-Upstream: parapet"]\n${route('app', '/app', up.origin)}`);
    try {
      const r = await rawRequest(s.url('http'), { path: '/app/own-headers' });
      assert.deepEqual(r.headers.filter(([k]) => k === 'x-upstream').map(([, v]) => v), ['parapet']);
    } finally {
      await s.close();
    }
  });

  test('access rules and rate limits apply to routed paths before the upstream sees anything', async () => {
    const s = await startServer(`${listener('http')}[http]\nallowed-endpoint = [ { if = "starts_with(url_path, '/app/private')", then = "403" }, { else = "200" } ]\n${route('app', '/app', up.origin)}`);
    try {
      const before = up.seen.length;
      assert.equal((await get(`${s.url('http')}/app/private/x`)).status, 403);
      assert.equal(up.seen.length, before);
      assert.equal((await get(`${s.url('http')}/app/public`)).status, 200);
      assert.equal(up.seen.length, before + 1);
    } finally {
      await s.close();
    }
  });
});

describe('proxy routes: bodies stream both ways', () => {
  let up: Upstream;
  let s: TestServer;
  let ca: TestCa;
  before(async () => {
    ca = await createCa();
    const leaf = await issueLeaf(ca, ['mail.example.test']);
    up = await startUpstream();
    s = await startServer(`${listener('http')}${listener('https', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}${route('app', '/app', up.origin)}`);
  });
  after(async () => {
    await s.close();
    await up.close();
  });

  const GiB = 1024 ** 3;

  test('a 1 GiB upload and a 1 GiB download pass through with memory flat', async () => {
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    try {
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const expected = createHash('sha256');
      for (let i = 0; i < 1024; i++) expected.update(chunk);
      const uploaded = await new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
        const req = http.request(`${s.url('http')}/app/count`, { method: 'POST', headers: { 'content-length': String(GiB) } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(JSON.parse(body) as { bytes: number; sha256: string }));
        });
        req.on('error', reject);
        let sent = 0;
        const pump = () => {
          while (sent < 1024) {
            sent++;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      });
      assert.deepEqual(uploaded, { bytes: GiB, sha256: expected.digest('hex') });

      const downloaded = await new Promise<number>((resolve, reject) => {
        http.get(`${s.url('http')}/app/bytes?n=${GiB}`, (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
        });
      });
      assert.equal(downloaded, GiB);
    } finally {
      clearInterval(sampler);
    }
    // Client, Parapet and upstream share this process: 2 GiB went through it.
    assert.ok(peak - rssBefore < 256 * 1024 * 1024, `memory grew by ${Math.round((peak - rssBefore) / 1048576)} MiB`);
  });

  test('a client that stops reading holds the upstream back (backpressure, not buffering)', async () => {
    const start = up.progress.written;
    const req = http.get(`${s.url('http')}/app/bytes?n=${GiB}`);
    const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
    res.pause();
    await new Promise((r) => setTimeout(r, 1000));
    const written = up.progress.written - start;
    assert.ok(written < 64 * 1024 * 1024, `the upstream wrote ${Math.round(written / 1048576)} MiB to a client that read nothing`);
    const closedBefore = up.progress.closedEarly;
    req.destroy();
    // The client went away: the upstream connection is released, not left streaming.
    for (let i = 0; i < 100 && up.progress.closedEarly === closedBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(up.progress.closedEarly, closedBefore + 1);
  });

  test('HTTP/2 clients stream through too (a request body and a response body)', async () => {
    const session = http2.connect(s.url('https'), { ca: ca.certPem, servername: 'mail.example.test' });
    try {
      const body = Buffer.alloc(3 * 1024 * 1024, 9);
      const stream = session.request({ ':method': 'POST', ':path': '/app/echo', host: 'mail.example.test' });
      stream.end(body);
      const [headers, echoed] = await Promise.all([
        new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve)),
        new Promise<Buffer>((resolve) => {
          const parts: Buffer[] = [];
          stream.on('data', (d: Buffer) => parts.push(d));
          stream.on('end', () => resolve(Buffer.concat(parts)));
        }),
      ]);
      assert.equal(headers[':status'], 200);
      assert.equal(JSON.parse(headers['x-seen'] as string).method, 'POST');
      assert.ok(echoed.equals(body));
    } finally {
      session.close();
    }
  });
});

describe('proxy routes: WebSockets', () => {
  let ca: TestCa;
  let leaf: Leaf;
  before(async () => {
    ca = await createCa();
    leaf = await issueLeaf(ca, ['mail.example.test', 'upstream.example.test']);
  });

  const echo = (url: string, opts: WebSocket.ClientOptions = {}) =>
    new Promise<string[]>((resolve, reject) => {
      const ws = new WebSocket(url, opts);
      const got: string[] = [];
      ws.on('open', () => {
        ws.send('hello');
        ws.send(Buffer.alloc(200_000, 'x'));
      });
      ws.on('message', (data: Buffer) => {
        got.push(data.length > 100 ? `${data.length} bytes` : data.toString());
        if (got.length === 2) ws.close();
      });
      ws.on('close', () => resolve(got));
      ws.on('error', reject);
    });

  test('plain: ws:// through Parapet to a plain upstream', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('http')}${route('push', '/jmap', up.origin)}`);
    try {
      assert.deepEqual(await echo(`ws://127.0.0.1:${s.port('http')}/jmap/ws`), ['hello', '200000 bytes']);
      const seen = up.seen.find((r) => r.url === '/jmap/ws');
      assert.equal(seen?.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(seen?.headers.upgrade, 'websocket');
    } finally {
      await s.close();
      await up.close();
    }
  });

  test('TLS: wss:// through Parapet to an https upstream trusted by upstream-ca', async () => {
    const up = await startUpstream({ tls: leaf });
    const s = await startServer(
      `${listener('https', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}${route('push', '/jmap', `https://127.0.0.1:${up.port}`, `upstream-ca = '''\n${ca.certPem.trim()}\n'''`)}`,
    );
    try {
      assert.deepEqual(await echo(`wss://127.0.0.1:${s.port('https')}/jmap/ws`, { ca: ca.certPem, servername: 'mail.example.test' } as WebSocket.ClientOptions), ['hello', '200000 bytes']);
      // And plain requests to the same https upstream.
      const r = await rawRequest(s.url('https'), { path: '/jmap/x', ca: ca.certPem, servername: 'mail.example.test' });
      assert.equal(r.status, 200);
    } finally {
      await s.close();
      await up.close();
    }
  });

  test('an upgrade Parapet refuses gets its answer and never reaches the upstream', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('http')}[http]\nallowed-endpoint = [ { if = "starts_with(url_path, '/jmap/ws')", then = "403" }, { else = "200" } ]\n${route('push', '/jmap', up.origin)}`);
    try {
      await assert.rejects(echo(`ws://127.0.0.1:${s.port('http')}/jmap/ws`), /403/);
      assert.equal(up.seen.length, 0);
      // An upgrade on a path no route takes gets Parapet's normal answer.
      const r = await rawRequest(s.url('http'), { path: '/healthz/live', headers: { connection: 'upgrade', upgrade: 'websocket' } });
      assert.equal(r.status, 200);
    } finally {
      await s.close();
      await up.close();
    }
  });
});

describe('proxy routes: upstream faults', () => {
  test('an upstream that is down gives 502 problem+json at once', async () => {
    const up = await startUpstream();
    const origin = up.origin;
    await up.close();
    const s = await startServer(`${listener('http')}${route('app', '/app', origin)}`);
    try {
      const started = performance.now();
      const r = await get(`${s.url('http')}/app/x`);
      const ms = performance.now() - started;
      assert.equal(r.status, 502);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.match(((await r.json()) as { detail: string }).detail, /could not be reached/);
      assert.ok(ms < 1000, `${ms} ms`);
    } finally {
      await s.close();
    }
  });

  test('an upstream that does not answer within timeout.response gives 504; one that stalls mid-body is cut', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('http')}${route('app', '/app', up.origin, 'timeout.response = "300ms"\ntimeout.idle = "300ms"')}`);
    try {
      const started = performance.now();
      const r = await get(`${s.url('http')}/app/hang`);
      const ms = performance.now() - started;
      assert.equal(r.status, 504);
      assert.match(((await r.json()) as { detail: string }).detail, /did not answer in time/);
      assert.ok(ms >= 250 && ms < 3000, `${ms} ms`);
      const stalled = await get(`${s.url('http')}/app/stall`);
      assert.equal(stalled.status, 200);
      await assert.rejects(stalled.text(), 'the body is cut, not completed');
      // The server is unharmed.
      assert.equal((await get(`${s.url('http')}/app/fine`)).status, 200);
    } finally {
      await s.close();
      await up.close();
    }
  });

  test('an https upstream whose certificate is not trusted gives 502', async () => {
    const ca = await createCa();
    const leaf = await issueLeaf(ca, ['upstream.example.test']);
    const up = await startUpstream({ tls: leaf });
    const s = await startServer(`${listener('http')}${route('app', '/app', `https://127.0.0.1:${up.port}`)}`);
    try {
      const r = await get(`${s.url('http')}/app/x`);
      assert.equal(r.status, 502);
      assert.equal(up.seen.length, 0);
    } finally {
      await s.close();
      await up.close();
    }
  });
});

describe('proxy routes: configuration', () => {
  test('routes hot-reload from the file and from the management API', async () => {
    const up = await startUpstream();
    const admin = '\n[authentication.fallback-admin]\nuser = "admin"\nsecret = "a long enough password"\n';
    const s = await startServer(`${listener('http')}${admin}`);
    try {
      assert.equal((await get(`${s.url('http')}/app/x`)).status, 404);
      s.rewrite(`${listener('http')}${admin}${route('app', '/app', up.origin)}`);
      assert.ok((await s.server.reload()).ok);
      assert.equal((await get(`${s.url('http')}/app/x`)).status, 200);

      const auth = `Basic ${Buffer.from('admin:a long enough password').toString('base64')}`;
      const bad = await get(`${s.url('http')}/api/settings`, {
        method: 'POST',
        headers: { authorization: auth },
        body: JSON.stringify([{ type: 'insert', prefix: 'http.route.api', values: [['path', '/api/x'], ['upstream', up.origin]] }]),
      });
      assert.equal(bad.status, 400);
      const errors = ((await bad.json()) as { errors: { code: string; key: string }[] }).errors;
      assert.deepEqual(errors.map((e) => [e.code, e.key]), [['CFG_ROUTE_RESERVED', 'http.route.api.path']]);

      const ok = await get(`${s.url('http')}/api/settings`, {
        method: 'POST',
        headers: { authorization: auth },
        body: JSON.stringify([{ type: 'insert', prefix: 'http.route.dav', values: [['path', '/dav'], ['upstream', up.origin]] }]),
      });
      assert.equal(ok.status, 200);
      const r = await get(`${s.url('http')}/dav/calendars`);
      assert.equal(r.status, 200);
      assert.equal((await json(r)).url, '/dav/calendars');
    } finally {
      await s.close();
      await up.close();
    }
  });
});
