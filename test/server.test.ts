import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { fetch } from 'undici';
import { agentTrusting, get, h2request } from './helpers/http.js';
import { createCa, issueLeaf, type TestCa } from './helpers/pki.js';
import { certificate, listener, recordingLogger, startServer, type TestServer } from './helpers/server.js';

let ca: TestCa;
before(async () => {
  ca = await createCa();
});

/** Sends raw bytes and collects what comes back until the server closes or `ms` passes. */
function rawExchange(port: number, payload: string, ms = 3000): Promise<{ text: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closedAfterMs: number | undefined;
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      closedAfterMs = Date.now() - started;
      resolve({ text, closedAfterMs: text === '' && closedAfterMs >= ms ? undefined : closedAfterMs });
    });
    socket.on('error', () => undefined);
    socket.write(payload);
  });
}

describe('HTTP/1.1 on a plain listener', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(`${listener('web')}\n[http]\nheaders = ["X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer"]`);
  });
  after(() => s.close());

  test('health and robots endpoints', async () => {
    const live = await get(`${s.url('web')}/healthz/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'live' });
    const ready = await get(`${s.url('web')}/healthz/ready`);
    assert.equal(ready.status, 200);
    const robots = await get(`${s.url('web')}/robots.txt`);
    assert.equal(robots.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await robots.text(), /^User-agent: \*\nDisallow: \//);
  });

  test('unknown paths get 404 as problem+json (RFC 9457)', async () => {
    const r = await get(`${s.url('web')}/no/such/thing?x=1`);
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(body.status, 404);
    assert.equal(body.title, 'Not Found');
    assert.equal(typeof body.detail, 'string');
  });

  test('wrong method gets 405 with Allow', async () => {
    const r = await get(`${s.url('web')}/robots.txt`, { method: 'DELETE' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  });

  test('HEAD has the headers of GET and no body', async () => {
    const r = await get(`${s.url('web')}/healthz/live`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), '17');
    assert.equal(await r.text(), '');
  });

  test('http.headers are added to every response, errors included', async () => {
    for (const path of ['/healthz/live', '/missing']) {
      const r = await get(`${s.url('web')}${path}`);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    }
  });

  test('a malformed Host gets 400', async () => {
    const { text } = await rawExchange(s.port('web'), 'GET /healthz/live HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 400 /);
  });

  test('no HSTS and no CORS headers by default', async () => {
    const r = await get(`${s.url('web')}/healthz/live`, { headers: { Origin: 'https://a.example' } });
    assert.equal(r.headers.get('strict-transport-security'), null);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });
});

describe('TLS listeners', () => {
  let s: TestServer;
  let certA: string;
  let certB: string;
  before(async () => {
    const a = await issueLeaf(ca, ['a.example.test']);
    const b = await issueLeaf(ca, ['b.example.test']);
    certA = a.certPem;
    certB = b.certPem;
    s = await startServer(
      `${listener('tls', { tls: true })}${listener('web')}` +
        certificate('a', a.certPem, a.keyPem, 'default = true') +
        certificate('b', b.certPem, b.keyPem, 'subjects = ["alias.example.test"]'),
    );
  });
  after(() => s.close());

  const peerCertificate = (servername: string, opts: tls.ConnectionOptions = {}): Promise<tls.PeerCertificate & { protocol: string | null }> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: s.port('tls'), servername, ca: ca.certPem, ...opts }, () => {
        const cert = socket.getPeerCertificate();
        const protocol = socket.getProtocol();
        socket.end();
        resolve({ ...cert, protocol });
      });
      socket.on('error', reject);
    });

  test('HTTPS with a certificate the client verifies against the test CA', async () => {
    const r = await get(`https://a.example.test:${s.port('tls')}/healthz/live`, { dispatcher: agentTrusting(ca.certPem) });
    assert.equal(r.status, 200);
  });

  test('SNI picks the certificate whose names match, else the default', async () => {
    assert.match((await peerCertificate('a.example.test')).subjectaltname ?? '', /DNS:a\.example\.test/);
    assert.match((await peerCertificate('b.example.test')).subjectaltname ?? '', /DNS:b\.example\.test/);
    assert.match((await peerCertificate('alias.example.test', { checkServerIdentity: () => undefined })).subjectaltname ?? '', /DNS:b\.example\.test/);
    assert.match((await peerCertificate('unknown.example.test', { checkServerIdentity: () => undefined })).subjectaltname ?? '', /DNS:a\.example\.test/);
    assert.notEqual(new X509Certificate(certA).fingerprint256, new X509Certificate(certB).fingerprint256);
  });

  test('TLS 1.2 is the minimum', async () => {
    await assert.rejects(peerCertificate('a.example.test', { maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }));
    assert.equal((await peerCertificate('a.example.test', { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
    assert.equal((await peerCertificate('a.example.test')).protocol, 'TLSv1.3');
  });

  test('HTTP/2 by ALPN on the TLS listener', async () => {
    const r = await h2request(`https://127.0.0.1:${s.port('tls')}/healthz/live`, ca.certPem, {}, 'a.example.test');
    assert.equal(r.alpn, 'h2');
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"status":"live"}');
    const missing = await h2request(`https://127.0.0.1:${s.port('tls')}/nope`, ca.certPem, {}, 'a.example.test');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'application/problem+json');
  });

  test('the plain listener next to it still speaks HTTP', async () => {
    assert.equal((await get(`${s.url('web')}/healthz/live`)).status, 200);
  });
});

describe('listeners on several addresses', () => {
  test('one listener bound to IPv4 and IPv6 loopback', async (t) => {
    const probe = net.createServer();
    const ipv6 = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!ipv6) return t.skip('no IPv6 loopback on this machine');
    const s = await startServer(`[server.listener.dual]\nprotocol = "http"\nbind = ["127.0.0.1:0", "[::1]:0"]`);
    try {
      const [v4, v6] = s.server.listenerInfo()[0]!.ports;
      assert.equal((await get(`http://127.0.0.1:${v4}/healthz/live`)).status, 200);
      assert.equal((await get(`http://[::1]:${v6}/healthz/live`)).status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('limits', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(`${listener('web')}\n[http]\ntimeout.headers = "2s"\nlimits.header-size = 4096`);
  });
  after(() => s.close());

  test('a client sending one header byte per second is cut off within the headers timeout', async () => {
    const started = Date.now();
    const socket = net.connect(s.port('web'), '127.0.0.1');
    const line = 'GET /healthz/live HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(50);
    let i = 0;
    const drip = setInterval(() => socket.writable && socket.write(line[i++] ?? 'a'), 1000);
    let reply = '';
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('error', () => undefined);
    const closedAfter = await new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    clearInterval(drip);
    assert.ok(closedAfter < 4000, `closed after ${closedAfter} ms`);
    assert.ok(closedAfter >= 1500, `closed too early (${closedAfter} ms)`);
    assert.match(reply, /^HTTP\/1\.1 408 /);
  });

  test('an over-large header block gets 431', async () => {
    const { text } = await rawExchange(s.port('web'), `GET /healthz/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(8000)}\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 431 /);
  });

  test('normal requests are unaffected', async () => {
    assert.equal((await get(`${s.url('web')}/healthz/live`)).status, 200);
  });
});

describe('reload', () => {
  test('a broken config is refused while requests run; a good one applies; listeners come and go', async () => {
    const base = `${listener('web')}\n[http]\nheaders = ["X-Version: 1"]`;
    const { logger, lines } = recordingLogger();
    const s = await startServer(base, { logger });
    try {
      const url = `${s.url('web')}/healthz/live`;
      let stop = false;
      const results: { status: number; version: string | null }[] = [];
      const failures: unknown[] = [];
      const load = Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            const r = await fetch(url);
            await r.arrayBuffer();
            results.push({ status: r.status, version: r.headers.get('x-version') });
          } catch (err) {
            failures.push(err);
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150));
      s.rewrite(`${listener('web')}\n[http]\nhsts = "sometimes"\nheaders = ["Bad Header: x"]`);
      const refused = await s.server.reload();
      assert.equal(refused.ok, false);
      assert.deepEqual(refused.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code).sort(), ['CFG_HEADER_NAME', 'CFG_INVALID_BOOL']);
      assert.ok(lines.some((l) => String(l.msg).startsWith('reload refused')));
      await new Promise((r) => setTimeout(r, 150));
      const webPort = s.port('web');
      s.rewrite(`[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:${webPort}"\n${listener('extra')}\n[http]\nheaders = ["X-Version: 2"]`);
      const applied = await s.server.reload();
      assert.equal(applied.ok, true, JSON.stringify(applied.diagnostics));
      await new Promise((r) => setTimeout(r, 150));
      stop = true;
      await Promise.all(load);
      assert.deepEqual(failures, []);
      assert.ok(results.length > 50, `only ${results.length} requests ran`);
      assert.ok(results.every((r) => r.status === 200));
      const versions = results.map((r) => r.version);
      assert.equal(versions[0], '1');
      assert.equal(versions.at(-1), '2');
      assert.ok(versions.every((v) => v === '1' || v === '2'));
      assert.equal((await get(`${s.url('extra')}/healthz/live`)).status, 200);
      // Drop the extra listener again: its port stops accepting.
      const extraPort = s.port('extra');
      s.rewrite(`[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:${webPort}"`);
      assert.equal((await s.server.reload()).ok, true);
      await assert.rejects(fetch(`http://127.0.0.1:${extraPort}/healthz/live`));
      assert.equal((await get(url)).status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('reload bursts and kept listeners', () => {
  test('reloads asked for while one waits to start are that one', async () => {
    const { logger, lines } = recordingLogger();
    const s = await startServer(listener('web'), { logger });
    try {
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => s.server.reload()));
      assert.ok(outcomes.every((o) => o.ok));
      const applied = lines.filter((l) => l.msg === 'configuration reloaded').length;
      assert.ok(applied >= 1 && applied <= 2, `10 reloads asked at once ran ${applied} times`);
      await s.server.reload();
      assert.equal(lines.filter((l) => l.msg === 'configuration reloaded').length, applied + 1, 'a later one runs again');
    } finally {
      await s.close();
    }
  });

  test('a kept listener takes a reloaded max-connections', async () => {
    const s = await startServer(`${listener('web')}max-connections = 1\n`);
    const held: net.Socket[] = [];
    const second = () =>
      new Promise<string>((resolve) => {
        const c = net.connect({ host: '127.0.0.1', port: s.port('web') });
        c.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        c.setEncoding('utf8');
        let data = '';
        c.on('data', (d: string) => (data += d));
        c.on('close', () => resolve(data.split('\r\n')[0] || 'closed unanswered'));
        c.write('GET /healthz/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
    try {
      const first = net.connect({ host: '127.0.0.1', port: s.port('web') });
      first.on('error', () => undefined);
      await new Promise((r) => first.once('connect', r));
      held.push(first);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(await second(), 'closed unanswered');
      s.rewrite(`${listener('web')}max-connections = 3\n`);
      assert.ok((await s.server.reload()).ok);
      assert.equal(await second(), 'HTTP/1.1 200 OK');
      s.rewrite(listener('web'));
      assert.ok((await s.server.reload()).ok);
      assert.equal(await second(), 'HTTP/1.1 200 OK', 'no limit once the key is gone');
    } finally {
      for (const c of held) c.destroy();
      await s.close();
    }
  });
});

describe('graceful shutdown', () => {
  test('a request in flight completes, then new connections are refused', async () => {
    const s = await startServer(listener('web'));
    const port = s.port('web');
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    // One answered request first: the server has accepted the connection and reads from it.
    let reply = '';
    socket.on('data', (d) => (reply += d.toString()));
    socket.write('GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n');
    for (let i = 0; i < 100 && !reply.endsWith('{"status":"live"}'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(reply, /^HTTP\/1\.1 200 [^]*\{"status":"live"\}$/);
    assert.doesNotMatch(reply, /connection: close/i);
    reply = '';
    // The next request's header block is half sent: it is in flight, not idle. A timer may
    // fire before the loop polls the socket, so the shutdown waits for one poll (setImmediate).
    socket.write('GET /healthz/live HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setImmediate(r));
    // The reply is read until the server closes the connection: shutdown() may resolve
    // before this side has read what the server wrote.
    const closed = new Promise((r) => socket.once('close', r));
    const stopped = s.server.shutdown(5000);
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz/live`));
    socket.write('\r\n');
    await stopped;
    await closed;
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.match(reply, /\{"status":"live"\}$/);
  });
});

describe('self-signed certificate of the embedded default', () => {
  test('generated on first start in the data folder and reused afterwards', async () => {
    const s1 = await startServer(listener('tls', { tls: true }));
    const dataDir = join(s1.dir, 'data');
    const first = readFileSync(join(dataDir, 'self-signed.crt'), 'utf8');
    await s1.close();
    const s2 = await startServer(`${listener('tls', { tls: true })}\n[server]\ndata-dir = ${JSON.stringify(dataDir)}`);
    try {
      const served = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port: s2.port('tls'), servername: 'localhost', rejectUnauthorized: false }, () => {
          resolve(socket.getPeerX509Certificate()!.fingerprint256);
          socket.end();
        });
        socket.on('error', reject);
      });
      assert.equal(served, new X509Certificate(first).fingerprint256);
      assert.equal(readFileSync(join(dataDir, 'self-signed.crt'), 'utf8'), first);
    } finally {
      await s2.close();
    }
  });
});

describe('request logs', () => {
  test('one structured line per request, with the client IP from a trusted proxy', async () => {
    const { logger, lines } = recordingLogger();
    const s = await startServer(`${listener('web')}\n[http]\nuse-x-forwarded = true\ntrusted-proxies = ["127.0.0.1"]`, { logger });
    try {
      await (await get(`${s.url('web')}/missing?q=1`, { headers: { 'X-Forwarded-For': '203.0.113.7' } })).text();
      const line = lines.find((l) => l.msg === 'request');
      assert.ok(line);
      assert.equal(line.method, 'GET');
      assert.equal(line.path, '/missing');
      assert.equal(line.status, 404);
      assert.equal(line.ip, '203.0.113.7');
      assert.equal(line.listener, 'web');
      assert.equal(typeof line.ms, 'number');
    } finally {
      await s.close();
    }
  });
});
