// Graceful shutdown of the real process: on SIGTERM, requests in flight (HTTP/1.1 and
// HTTP/2) complete, idle keep-alive connections and HTTP/2 sessions are closed (the sessions
// with GOAWAY), new connections are refused, and the process exits 0 within
// `server.shutdown-timeout`, cutting what is still open then.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from './helpers/child.js';
import { createCa, issueLeaf } from './helpers/pki.js';
import { certificate, listener } from './helpers/server.js';

/** An upstream that answers `/slow` after SLOW_MS and never answers `/hang`. */
const SLOW_MS = 1000;
let upstream: http.Server;
let upstreamOrigin: string;
let arrived = 0;
let pki: { certPem: string; keyPem: string; caPem: string };

before(async () => {
  const ca = await createCa();
  pki = { ...(await issueLeaf(ca, ['localhost'])), caPem: ca.certPem };
  upstream = http.createServer((req, res) => {
    arrived++;
    if (req.url?.endsWith('/hang')) return;
    const body = `done ${req.url}`;
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) }).end(body), req.url?.endsWith('/slow') ? SLOW_MS : 0);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamOrigin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

const config = (shutdownTimeout: string) => `
${listener('web')}
${listener('secure', { tls: true })}
${certificate('main', pki.certPem, pki.keyPem, 'default = true')}
[server]
shutdown-timeout = "${shutdownTimeout}"
[http.timeout]
keep-alive = "60s"
[http.route.app]
path = "/app"
upstream = "${upstreamOrigin}"
`;

interface Answer {
  readonly status: number;
  /** HTTP/1.1: the Connection header of the answer. */
  readonly connection?: string | undefined;
  readonly body: string;
  readonly at: number;
}

function h1get(port: number, path: string, secure = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A keep-alive agent: a client that would reuse the connection (without one node sends `Connection: close`).
    const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    const options = { host: '127.0.0.1', port, path, agent, ca: pki.caPem, servername: 'localhost' };
    const req = (secure ? https : http).get(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body, at: performance.now() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** An HTTP/2 session of a real client, recording the GOAWAY it gets and when it closes. */
function h2session(port: number) {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.caPem, servername: 'localhost' });
  const seen = { goaway: undefined as number | undefined, closedAt: undefined as number | undefined };
  session.on('goaway', (code: number) => (seen.goaway = code));
  session.on('close', () => (seen.closedAt = performance.now()));
  session.on('error', () => undefined);
  const get = (path: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = session.request({ ':path': path });
      let status = 0;
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: string) => (body += d));
      req.on('end', () => resolve({ status, body, at: performance.now() }));
      req.on('error', reject);
      req.end();
    });
  return { session, seen, get };
}

/** A kept-alive HTTP/1.1 connection after one answered request; when it closes. */
async function idleKeepAlive(port: number): Promise<{ closedAt: () => number | undefined }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let closedAt: number | undefined;
  let data = '';
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = performance.now()));
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (data += d));
  socket.write('GET /healthz/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
  for (let i = 0; i < 100 && !/\r\n\r\n/.test(data); i++) await sleep(20);
  assert.match(data, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(data, /connection: close/i);
  return { closedAt: () => closedAt };
}

const connectOutcome = (port: number) =>
  new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });

describe('SIGTERM', () => {
  test('in-flight HTTP/1.1 and HTTP/2 requests complete, idle connections close (GOAWAY), new ones are refused, exit 0', async () => {
    const child = await startChild(config('5s'));
    try {
      const web = child.port('web');
      const secure = child.port('secure');
      const idleH1 = await idleKeepAlive(web);
      const idleH2 = h2session(secure);
      assert.equal((await idleH2.get('/healthz/live')).status, 200);
      const busyH2 = h2session(secure);
      assert.equal((await busyH2.get('/healthz/live')).status, 200);

      const arrivedBefore = arrived;
      const inFlight = [h1get(web, '/app/slow'), busyH2.get('/app/slow'), h1get(secure, '/app/slow', true)];
      for (let i = 0; i < 100 && arrived - arrivedBefore < 3; i++) await sleep(10);
      assert.equal(arrived - arrivedBefore, 3, 'the slow requests reached the upstream');

      const signalled = performance.now();
      child.child.kill('SIGTERM');
      const exited = child.exited.then((code) => ({ code, at: performance.now() }));
      await sleep(200);
      assert.equal(await connectOutcome(web), 'ECONNREFUSED', 'a new plain connection during the drain');
      assert.equal(await connectOutcome(secure), 'ECONNREFUSED', 'a new TLS connection during the drain');
      assert.ok(idleH1.closedAt() !== undefined, 'the idle keep-alive connection is still open 200 ms into the drain');
      assert.equal(idleH2.seen.goaway, http2.constants.NGHTTP2_NO_ERROR, 'the idle HTTP/2 session got no GOAWAY');
      assert.ok(idleH2.seen.closedAt !== undefined, 'the idle HTTP/2 session is still open 200 ms into the drain');
      assert.equal(busyH2.seen.goaway, http2.constants.NGHTTP2_NO_ERROR, 'the busy HTTP/2 session got no GOAWAY');

      const answers = await Promise.all(inFlight);
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.equal(a.body, 'done /app/slow');
      }
      // HTTP/1.1 answers finished during the drain say the connection ends with them, so a
      // client does not send its next request on a connection about to close.
      assert.deepEqual([answers[0]!.connection, answers[2]!.connection], ['close', 'close']);
      const { code, at } = await exited;
      assert.equal(code, 0, child.output());
      assert.ok(at - signalled < 5000, `exited ${(at - signalled).toFixed(0)} ms after SIGTERM (shutdown-timeout 5 s)`);
      assert.ok(at - signalled >= SLOW_MS - 300, `exited ${(at - signalled).toFixed(0)} ms after SIGTERM, before the requests in flight could finish`);
      assert.match(child.output(), /"msg":"stopped"/);
    } finally {
      child.kill();
    }
  });

  test('what is still in flight at server.shutdown-timeout is cut, and the process still exits 0 on time', async () => {
    const child = await startChild(config('1500ms'));
    try {
      const web = child.port('web');
      const h2 = h2session(child.port('secure'));
      const arrivedBefore = arrived;
      const h1 = h1get(web, '/app/hang').then(
        (a) => `answered ${a.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      const stream = h2.get('/app/hang').then(
        (a) => `answered ${a.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      for (let i = 0; i < 100 && arrived - arrivedBefore < 2; i++) await sleep(10);
      assert.equal(arrived - arrivedBefore, 2);

      const signalled = performance.now();
      child.child.kill('SIGTERM');
      const code = await child.exited;
      const took = performance.now() - signalled;
      assert.equal(code, 0, child.output());
      assert.ok(took >= 1200 && took < 1500 + 1000, `exited ${took.toFixed(0)} ms after SIGTERM (shutdown-timeout 1.5 s)`);
      assert.notEqual(await h1, 'answered 200');
      assert.notEqual(await stream, 'answered 200');
    } finally {
      child.kill();
    }
  });
});
