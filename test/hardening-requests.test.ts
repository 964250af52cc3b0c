// Malformed and hostile HTTP/1.1 requests (RFC 9112 §6.3 message framing, §11.2 request
// smuggling): each gets its exact 4xx, the connection closes after it, and nothing reaches
// the upstream — in particular not the second request written behind it on the same
// connection, which a parser that framed the first one differently would take for a request
// of its own. A recording upstream shows what got through; well-formed pipelined requests
// do get through (the positive controls), so the checks can fail.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import { createCa, issueLeaf } from './helpers/pki.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const HOST = 'app.example.test';
const route = (upstream: string) => `\n[http.route.app]\npath = "/app"\nupstream = "${upstream}"\n`;
/** The request a desynchronised parser would take as the next one. */
const SMUGGLED = `GET /app/smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
const hex = (s: string) => Buffer.byteLength(s, 'latin1').toString(16);

interface Exchange {
  /** The status of every response read, in order. */
  readonly statuses: number[];
  /** The first response's header block, lower-cased. */
  readonly head: string;
  readonly text: string;
  /** Whether the server closed the connection before `waitMs`. */
  readonly closed: boolean;
  readonly ms: number;
}

/** Writes `bytes` in one write on a fresh connection and reads until the server closes it (or `waitMs`). */
function exchange(port: number, bytes: string | Buffer, waitMs = 3000): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      const end = text.indexOf('\r\n\r\n');
      resolve({ statuses, head: (end < 0 ? text : text.slice(0, end)).toLowerCase(), text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => finish(true));
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

const urlsSince = (up: Upstream, from: number) => up.seen.slice(from).map((r) => r.url);

describe('malformed HTTP/1.1 requests: a 4xx, the connection closed, nothing upstream', { timeout: 60_000 }, () => {
  let up: Upstream;
  let s: TestServer;
  let port: number;
  before(async () => {
    up = await startUpstream();
    s = await startServer(`${listener('web')}${route(up.origin)}`);
    port = s.port('web');
  });
  after(async () => {
    await s.close();
    await up.close();
  });

  /**
   * Sends a request known to pass on a fresh connection and waits for its answer: anything
   * the case let through was dispatched before it, so the upstream has seen it by then.
   */
  async function sentinel(): Promise<void> {
    const r = await exchange(port, `GET /app/sentinel HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(r.statuses, [200], 'the sentinel request passes');
    await sleep(20);
  }

  const smuggleBody = `0\r\n\r\n${SMUGGLED}`;
  const big = 'a'.repeat(17_000);
  const cases: { name: string; status: number; request: string }[] = [
    {
      name: 'CL.TE: Content-Length covers the next request, a chunked reader ends before it',
      status: 400,
      request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${smuggleBody.length}\r\nTransfer-Encoding: chunked\r\n\r\n${smuggleBody}`,
    },
    {
      name: 'TE.CL: Content-Length: 4 and a chunk that holds the next request',
      status: 400,
      request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${hex(SMUGGLED)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
    },
    {
      name: 'Content-Length: 0 with Transfer-Encoding: chunked, the next request after the last chunk',
      status: 400,
      request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n${smuggleBody}`,
    },
    { name: 'two Content-Length fields, 5 and 50', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello${SMUGGLED}` },
    { name: 'two equal Content-Length fields', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}` },
    { name: 'a Content-Length list, 5, 50', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5, 50\r\n\r\nhello${SMUGGLED}` },
    { name: 'obs-fold of Transfer-Encoding', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n${smuggleBody}` },
    { name: 'obs-fold of Transfer-Encoding after Content-Length', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\nhello${SMUGGLED}` },
    { name: 'obs-fold of any header', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nX-Note: a\r\n\tb\r\n\r\n${SMUGGLED}` },
    { name: 'bare LF line endings throughout', status: 400, request: `GET /app/x HTTP/1.1\nHost: ${HOST}\n\n${SMUGGLED}` },
    { name: 'a bare LF after the request line', status: 400, request: `GET /app/x HTTP/1.1\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'a bare LF after a header', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\nX-A: b\r\n\r\n${SMUGGLED}` },
    { name: 'a bare LF ending the header block', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\n\n${SMUGGLED}` },
    { name: 'a bare CR inside the header block', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\rX-A: b\r\n\r\n${SMUGGLED}` },
    { name: 'a NUL in the path', status: 400, request: `GET /app/x\0y HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'a control character (0x01) in the path', status: 400, request: `GET /app/x\x01y HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'an escape (0x1b) in the path', status: 400, request: `GET /app/x\x1b[2Jy HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'DEL (0x7f) in the path', status: 400, request: `GET /app/x\x7fy HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'a NUL in a header value', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nX-A: b\0c\r\n\r\n${SMUGGLED}` },
    { name: 'a header block over http.limits.header-size', status: 431, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${big}\r\n\r\n${SMUGGLED}` },
    { name: 'a URI over http.limits.uri-size (within header-size)', status: 414, request: `GET /app/${'u'.repeat(9000)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'a URI longer than http.limits.header-size too', status: 414, request: `GET /app/${'u'.repeat(20_000)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'no Host', status: 400, request: `GET /app/x HTTP/1.1\r\n\r\n${SMUGGLED}` },
    { name: 'Host `a b`', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: a b\r\n\r\n${SMUGGLED}` },
    { name: 'Host `exa mple`', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: exa mple\r\n\r\n${SMUGGLED}` },
    { name: 'Host `host:99999`', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: host:99999\r\n\r\n${SMUGGLED}` },
    { name: 'Host `[::1`', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: [::1\r\n\r\n${SMUGGLED}` },
    { name: 'an empty Host', status: 400, request: `GET /app/x HTTP/1.1\r\nHost:\r\n\r\n${SMUGGLED}` },
    { name: 'two Host headers', status: 400, request: `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.example.test\r\n\r\n${SMUGGLED}` },
    { name: 'two equal Host headers', status: 400, request: `GET /app/x HTTP/1.1\r\nhost: ${HOST}\r\nHOST: ${HOST}\r\n\r\n${SMUGGLED}` },
    { name: 'two Host headers on a POST with a body', status: 400, request: `POST /app/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nHost: evil.example.test\r\n\r\nhello${SMUGGLED}` },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.status}`, async () => {
      const before = up.seen.length;
      const r = await exchange(port, c.request);
      assert.deepEqual(r.statuses, [c.status], r.text.slice(0, 300));
      assert.ok(r.closed, 'the server closes the connection after the refusal');
      assert.match(r.head, /\r\nconnection: close(\r\n|$)/);
      assert.match(r.head, /\r\ncontent-type: application\/problem\+json(\r\n|$)/);
      assert.equal(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).status, c.status);
      await sentinel();
      assert.deepEqual(urlsSince(up, before), ['/app/sentinel'], 'nothing but the sentinel reached the upstream');
    });
  }

  test('a refusal behind a valid pipelined request: the valid one is answered, then the connection closes', async () => {
    const before = up.seen.length;
    const r = await exchange(port, `GET /app/first HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.example.test\r\n\r\n${SMUGGLED}`);
    assert.deepEqual(r.statuses, [200, 400]);
    assert.ok(r.closed);
    await sentinel();
    assert.deepEqual(urlsSince(up, before), ['/app/first', '/app/sentinel']);
  });

  test('a WebSocket handshake pipelined behind a refusal is not joined to the upstream', async () => {
    const before = up.seen.length;
    const ws = `GET /app/smuggled-ws HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    const r = await exchange(port, `GET /app/x HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.example.test\r\n\r\n${ws}`);
    assert.deepEqual(r.statuses, [400]);
    assert.ok(r.closed);
    await sentinel();
    assert.deepEqual(urlsSince(up, before), ['/app/sentinel']);
  });

  test('garbage behind a valid pipelined request: no 400 where the valid answer belongs, nothing after it parsed', async () => {
    const before = up.seen.length;
    const r = await exchange(port, `GET /app/first HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /app/x HTTP/1.1\nHost: ${HOST}\n\n${SMUGGLED}`);
    assert.ok(r.closed);
    assert.ok(r.statuses.length <= 1 && r.statuses.every((st) => st === 200), `${r.statuses}`);
    await sentinel();
    assert.ok(!urlsSince(up, before).some((u) => u.includes('smuggled')), `${urlsSince(up, before)}`);
  });

  test('positive control: a well-formed chunked request and the one pipelined behind it both go through', async () => {
    const before = up.seen.length;
    const r = await exchange(
      port,
      `POST /app/count HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n` +
        `GET /app/second HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
    );
    assert.deepEqual(r.statuses, [200, 200], r.text);
    assert.match(r.text, /"bytes":11/);
    assert.deepEqual(urlsSince(up, before), ['/app/count', '/app/second']);
  });

  test('positive control: a URI of exactly http.limits.uri-size passes, one byte more does not', async () => {
    const at = `/app/${'u'.repeat(8192 - '/app/'.length)}`;
    const ok = await exchange(port, `GET ${at} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(ok.statuses, [200]);
    const over = await exchange(port, `GET ${at}u HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.deepEqual(over.statuses, [414]);
  });

  test('HTTP/1.0 without Host is still served (Host is required from HTTP/1.1 on)', async () => {
    const r = await exchange(port, 'GET /app/old HTTP/1.0\r\n\r\n');
    assert.deepEqual(r.statuses, [200]);
    assert.ok(r.closed);
  });
});

describe('http.limits.uri-size', { timeout: 30_000 }, () => {
  test('is configurable, and refused with CFG_INVALID_INTEGER naming the key when out of range', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('web')}${route(up.origin)}\n[http]\nlimits.uri-size = 1024\n`);
    try {
      const path = (n: number) => `/app/${'u'.repeat(n - '/app/'.length)}`;
      assert.deepEqual((await exchange(s.port('web'), `GET ${path(1024)} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`)).statuses, [200]);
      const over = await exchange(s.port('web'), `GET ${path(1025)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${SMUGGLED}`);
      assert.deepEqual(over.statuses, [414]);
      assert.ok(over.closed);
      assert.match(over.text, /http\.limits\.uri-size \(1024 bytes\)/);
      assert.equal(up.seen.length, 1);
    } finally {
      await s.close();
      await up.close();
    }
    for (const value of ['10', '"big"', '2000000']) {
      const r = loadConfig({ name: 'test.toml', text: `${listener('web')}\n[http]\nlimits.uri-size = ${value}\n` });
      assert.equal(r.ok, false, value);
      const d = r.diagnostics.find((x) => x.code === 'CFG_INVALID_INTEGER');
      assert.equal(d?.key, 'http.limits.uri-size', value);
      assert.match(d?.message ?? '', /256 to 1048576/);
    }
  });
});

describe('HTTP/2: the same limits', { timeout: 30_000 }, () => {
  let up: Upstream;
  let s: TestServer;
  let ca: Awaited<ReturnType<typeof createCa>>;
  before(async () => {
    ca = await createCa();
    const leaf = await issueLeaf(ca, [HOST]);
    up = await startUpstream();
    s = await startServer(`${listener('tls', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem, 'default = true')}${route(up.origin)}`);
  });
  after(async () => {
    await s.close();
    await up.close();
  });

  async function h2(headers: http2.OutgoingHttpHeaders): Promise<{ status: number; body: string }> {
    const session = http2.connect(`https://127.0.0.1:${s.port('tls')}`, { ca: ca.certPem, servername: HOST });
    try {
      return await new Promise((resolve, reject) => {
        session.on('error', reject);
        const stream = session.request(headers);
        let body = '';
        let status = 0;
        stream.setEncoding('utf8');
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (d: string) => (body += d));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end();
      });
    } finally {
      session.close();
    }
  }

  test('a :path over http.limits.uri-size gets 414; Host differing from :authority gets 400; neither reaches the upstream', async () => {
    const before = up.seen.length;
    const long = await h2({ ':path': `/app/${'u'.repeat(9000)}`, ':authority': HOST });
    assert.equal(long.status, 414, long.body);
    const conflict = await h2({ ':path': '/app/x', ':authority': HOST, host: 'evil.example.test' });
    assert.equal(conflict.status, 400, conflict.body);
    assert.match(conflict.body, /:authority/);
    assert.equal(up.seen.length, before);
    const same = await h2({ ':path': '/app/ok', ':authority': HOST, host: HOST.toUpperCase() });
    assert.equal(same.status, 200, 'a Host equal to :authority is fine');
    assert.deepEqual(urlsSince(up, before), ['/app/ok']);
  });
});

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEMPLATES = [
  `GET /app/fuzz HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
  `POST /app/fuzz HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello`,
  `POST /app/fuzz HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  `GET /healthz/live HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
  `OPTIONS /app/fuzz HTTP/1.1\r\nHost: ${HOST}\r\nOrigin: https://a.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n`,
];
const SPECIAL = [0x00, 0x0a, 0x0d, 0x20, 0x09, 0x3a, 0x7f, 0xff, 0x2c, 0x30];

function mutate(rand: () => number, template: string): Buffer {
  let b = Buffer.from(template, 'latin1');
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * b.length);
    switch (Math.floor(rand() * 5)) {
      case 0: // replace a byte
        b[at] = rand() < 0.5 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256);
        break;
      case 1: // insert a byte
        b = Buffer.concat([b.subarray(0, at), Buffer.of(SPECIAL[Math.floor(rand() * SPECIAL.length)]!), b.subarray(at)]);
        break;
      case 2: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rand() * 8)))]);
        break;
      case 3: // repeat a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + Math.floor(rand() * 32)), b.subarray(at)]);
        break;
      default: // cut short
        b = b.subarray(0, at);
    }
  }
  return b.length > 0 ? b : Buffer.of(0x47);
}

describe('fuzz: random bytes never crash or stall the server', { timeout: 60_000 }, () => {
  test('200 connections of random and mutated requests: each answered or closed in time; the server keeps serving', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('web')}${route(up.origin)}\n[http]\ntimeout.headers = "2s"\ntimeout.request = "2s"\ntimeout.keep-alive = "1s"\n`);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const seed = Number(process.env.PARAPET_FUZZ_SEED ?? 0x5eed);
      const rand = prng(seed);
      const inputs = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0 ? Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 2048) }, () => Math.floor(rand() * 256))) : mutate(rand, TEMPLATES[Math.floor(rand() * TEMPLATES.length)]!),
      );
      const limitMs = 2000 + 1500; // the headers (and request) timeout, node's check interval, slack
      const results: Exchange[] = [];
      for (let i = 0; i < inputs.length; i += 50) {
        results.push(...(await Promise.all(inputs.slice(i, i + 50).map((bytes) => exchange(s.port('web'), bytes, limitMs + 2000)))));
      }
      results.forEach((r, i) => {
        const what = `seed ${seed}, input ${i}: ${JSON.stringify(inputs[i]!.subarray(0, 80).toString('latin1'))} → ${JSON.stringify(r.text.slice(0, 80))}`;
        assert.ok(r.closed, `the server closed the connection: ${what}`);
        if (r.statuses.length === 0) assert.ok(r.ms < limitMs, `closed without an answer after ${Math.round(r.ms)} ms: ${what}`);
        for (const st of r.statuses) assert.ok(st >= 200 && st < 500, `status ${st}: ${what}`);
      });
      const refused = results.filter((r) => r.statuses.some((st) => st >= 400)).length;
      assert.ok(refused >= 100, `only ${refused} of 200 were refused: the fuzzer is too gentle`);

      const started = performance.now();
      const after = await exchange(s.port('web'), `GET /app/after-fuzz HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
      assert.deepEqual(after.statuses, [200]);
      assert.ok(performance.now() - started < 500, `a normal request after the fuzz took ${Math.round(performance.now() - started)} ms`);
      assert.ok(up.seen.some((r) => r.url === '/app/after-fuzz'));
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      await s.close();
      await up.close();
    }
  });
});
