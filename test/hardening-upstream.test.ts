// Upstream faults: a dead upstream answered at once, a silent one on time, recovery when it
// is back, and clients that go away mid-response releasing everything they held.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { get } from './helpers/http.js';
import { listener, startServer, type TestServer } from './helpers/server.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const route = (upstream: string, extra = '') => `\n[http.route.app]\npath = "/app"\nupstream = "${upstream}"\n${extra}\n`;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const r = await get(url);
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - started };
}

describe('upstream faults', () => {
  test('a dead upstream gets 502 within 100 ms, and the route recovers as soon as it is back', async () => {
    const probe = await startUpstream();
    const port = probe.port;
    await probe.close();
    const s = await startServer(`${listener('http')}${route(`http://127.0.0.1:${port}`)}`);
    let up: Upstream | undefined;
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await timed(`${s.url('http')}/app/x`));
      assert.deepEqual(answers.map((a) => a.status), [502, 502, 502, 502, 502]);
      assert.ok(median(answers.map((a) => a.ms)) < 100, `502 took ${answers.map((a) => a.ms.toFixed(1)).join(', ')} ms`);

      up = await startUpstream({ port });
      const back = await timed(`${s.url('http')}/app/x`);
      assert.equal(back.status, 200, 'the first request after the upstream is back succeeds');
    } finally {
      await s.close();
      await up?.close();
    }
  });

  test('an upstream that never answers gets 504 within timeout.response, and Parapet stays responsive meanwhile', async () => {
    const up = await startUpstream();
    const s = await startServer(`${listener('http')}${route(up.origin, 'timeout.response = "1s"')}`);
    try {
      const hanging = Array.from({ length: 20 }, () => timed(`${s.url('http')}/app/hang`));
      await sleep(100);
      const meanwhile = await timed(`${s.url('http')}/healthz/live`);
      assert.equal(meanwhile.status, 200);
      assert.ok(meanwhile.ms < 250, `${meanwhile.ms} ms`);
      const answers = await Promise.all(hanging);
      for (const a of answers) {
        assert.equal(a.status, 504);
        assert.ok(a.ms >= 900 && a.ms < 2500, `504 after ${a.ms} ms`);
      }
    } finally {
      await s.close();
      await up.close();
    }
  });
});

describe('clients that go away mid-response', () => {
  let up: Upstream;
  let s: TestServer;
  before(async () => {
    up = await startUpstream();
    s = await startServer(`${listener('http')}${route(up.origin)}`);
  });
  after(async () => {
    await s.close();
    await up.close();
  });

  /** Reads the first chunk of a large proxied body, then drops the connection. */
  const abandon = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(url, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
    });

  const openFds = () => readdirSync('/proc/self/fd').length;

  test('2,000 abandoned responses release their upstream connections, descriptors and memory', async () => {
    // Warm up (pools, JIT), then measure.
    for (let i = 0; i < 50; i++) await abandon(`${s.url('http')}/app/bytes?n=${16 * 1024 * 1024}`);
    await sleep(200);
    gc();
    const fdsBefore = openFds();
    const heapBefore = process.memoryUsage().heapUsed;
    const closedBefore = up.progress.closedEarly;

    const total = 2000;
    for (let done = 0; done < total; done += 50) {
      await Promise.all(Array.from({ length: 50 }, () => abandon(`${s.url('http')}/app/bytes?n=${16 * 1024 * 1024}`)));
    }
    // Every upstream response was cut short: nothing is left streaming to nobody.
    for (let i = 0; i < 100 && up.progress.closedEarly - closedBefore < total; i++) await sleep(50);
    assert.equal(up.progress.closedEarly - closedBefore, total);

    await sleep(300);
    gc();
    const fdsAfter = openFds();
    const heapAfter = process.memoryUsage().heapUsed;
    assert.ok(fdsAfter - fdsBefore < 20, `open descriptors ${fdsBefore} → ${fdsAfter}`);
    assert.ok(heapAfter - heapBefore < 32 * 1024 * 1024, `heap grew by ${Math.round((heapAfter - heapBefore) / 1048576)} MiB`);
    // And the route still works.
    assert.equal((await get(`${s.url('http')}/app/fine`)).status, 200);
  });
});

describe('HTTP/2 request bodies and http.timeout.request', () => {
  test('a body that does not arrive in time gets 408 and the upstream request is dropped; a complete one passes', async () => {
    const { createCa, issueLeaf } = await import('./helpers/pki.js');
    const { certificate } = await import('./helpers/server.js');
    const http2 = (await import('node:http2')).default;
    const ca = await createCa();
    const leaf = await issueLeaf(ca, ['localhost']);
    const up = await startUpstream();
    const s = await startServer(`${listener('https', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}[http]\ntimeout.request = "1s"\n${route(up.origin)}`);
    const session = http2.connect(s.url('https'), { ca: ca.certPem, servername: 'localhost' });
    try {
      const answer = (stream: import('node:http2').ClientHttp2Stream) =>
        new Promise<{ status: number; body: string; ms: number }>((resolve, reject) => {
          const started = performance.now();
          let status = 0;
          let body = '';
          stream.setEncoding('utf8');
          stream.on('response', (h) => (status = Number(h[':status'])));
          stream.on('data', (d: string) => (body += d));
          stream.on('close', () => resolve({ status, body, ms: performance.now() - started }));
          stream.on('error', reject);
        });
      const complete = session.request({ ':method': 'POST', ':path': '/app/count' });
      complete.end('0123456789');
      const ok = await answer(complete);
      assert.equal(ok.status, 200);
      assert.equal((JSON.parse(ok.body) as { bytes: number }).bytes, 10);

      const trickle = session.request({ ':method': 'POST', ':path': '/app/count' });
      trickle.write('0123456789'); // and never ends
      const late = await answer(trickle);
      assert.equal(late.status, 408);
      assert.match(late.body, /http\.timeout\.request/);
      assert.ok(late.ms >= 900 && late.ms < 3000, `${late.ms} ms`);
      // The session itself is fine.
      const after = session.request({ ':path': '/healthz/live' });
      after.end();
      assert.equal((await answer(after)).status, 200);
    } finally {
      session.close();
      await s.close();
      await up.close();
    }
  });
});
