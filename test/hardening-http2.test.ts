// HTTP/2 abuse: the concurrent-stream limit (advertised and enforced), a rapid-reset flood
// (CVE-2023-44487), and CONTINUATION / oversized header-list floods (CVE-2024-27316 family).
// The server runs as its own process so its memory is its own.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { setImmediate as yieldNow, setTimeout as sleep } from 'node:timers/promises';
import { percentile, startChild, type ChildServer } from './helpers/child.js';
import { connectH2, ERROR, FLAG, FRAME, frame, hpack, requestBlock, rstStream, SETTING, type RawH2 } from './helpers/h2frames.js';
import { createCa, issueLeaf } from './helpers/pki.js';
import { certificate, listener } from './helpers/server.js';
import { startUpstream, type Upstream } from './helpers/upstream.js';

let caPem: string;
let up: Upstream;
let child: ChildServer;
let port: number;

before(async () => {
  const ca = await createCa();
  const leaf = await issueLeaf(ca, ['localhost']);
  caPem = ca.certPem;
  up = await startUpstream();
  child = await startChild(`
${listener('secure', { tls: true })}
${certificate('main', leaf.certPem, leaf.keyPem, 'default = true')}
[http.route.app]
path = "/app"
upstream = "${up.origin}"
timeout.response = "5s"
`);
  port = child.port('secure');
});
after(async () => {
  child?.kill();
  await up?.close();
});

const seenPath = (path: string) => up.seen.filter((s) => s.url === path).length;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** A connection that has the server's SETTINGS and its acknowledgement of ours: limits in force. */
async function settled(): Promise<RawH2> {
  const h2 = await connectH2(port);
  const acked = await h2.waitFor((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) !== 0, 3000);
  assert.ok(acked, 'the server never acknowledged our SETTINGS');
  return h2;
}

/** `count` sequential requests on one HTTP/2 connection of a real client; their latencies in ms. */
async function normalRequests(count: number, path: string): Promise<number[]> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: caPem, servername: 'localhost' });
  session.on('error', () => undefined);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': path });
        let s = 0;
        req.on('response', (h) => (s = Number(h[':status'])));
        req.on('data', () => undefined);
        req.on('end', () => resolve(s));
        req.on('error', reject);
        req.setTimeout(5000, () => req.close(http2.constants.NGHTTP2_CANCEL));
        req.end();
      });
      latencies.push(performance.now() - started);
      assert.equal(status, 200);
    }
  } finally {
    session.close();
  }
  return latencies;
}

describe('the concurrent-stream limit', () => {
  test('is advertised in SETTINGS and enforced: a stream past it is never served, the connection is cut', async () => {
    const h2 = await settled();
    try {
      const limit = h2.serverSettings().get(SETTING.MAX_CONCURRENT_STREAMS);
      assert.equal(limit, 128);
      const before = seenPath('/app/hang');
      const streams: Buffer[] = [];
      for (let i = 0; i < 128; i++) streams.push(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1 + 2 * i, requestBlock('/app/hang')));
      h2.send(Buffer.concat(streams));
      for (let i = 0; i < 100 && seenPath('/app/hang') - before < 128; i++) await sleep(50);
      assert.equal(seenPath('/app/hang') - before, 128, 'the streams within the limit are all served');
      assert.equal(h2.isClosed(), false);

      // One more while all 128 are open: a protocol error (RFC 9113 §5.1.2), the connection goes.
      h2.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1 + 2 * 128, requestBlock('/app/one-too-many')));
      await Promise.race([h2.closed, sleep(3000)]);
      assert.equal(h2.isClosed(), true, 'the connection outlived a stream past the limit');
      assert.equal(seenPath('/app/one-too-many'), 0, 'the stream past the limit was forwarded');
    } finally {
      h2.destroy();
    }
  });
});

describe('a rapid-reset flood (CVE-2023-44487)', () => {
  test('leaves requests on other connections answered (p99 < 250 ms) and forwards no cancelled stream', async () => {
    const baseline = child.rss();
    const before = seenPath('/app/flood');
    let opened = 0;
    let running = true;
    const goaways: number[] = [];
    /** Opens and at once cancels streams, 100 pairs a write, reconnecting when cut. */
    const attacker = async () => {
      while (running && opened < 8000) {
        const h2 = await connectH2(port);
        let id = 1;
        while (running && !h2.isClosed() && id < 2 * 1000) {
          const burst: Buffer[] = [];
          for (let i = 0; i < 100; i++, id += 2) burst.push(getFlood(id), rstStream(id, ERROR.CANCEL));
          opened += 100;
          h2.send(Buffer.concat(burst));
          await yieldNow();
        }
        await h2.waitFor((f) => f.type === FRAME.GOAWAY, 200);
        const g = h2.goaway();
        if (g) goaways.push(g.code);
        h2.destroy();
      }
    };
    const getFlood = (id: number) => frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, requestBlock('/app/flood'));
    const attackers = [attacker(), attacker(), attacker()];
    await sleep(100);
    const latencies = await normalRequests(200, '/app/normal');
    running = false;
    await Promise.all(attackers);
    await sleep(300);
    const forwarded = seenPath('/app/flood') - before;
    const p99 = percentile(latencies, 99);
    assert.ok(opened >= 2000, `only ${opened} streams were opened and reset`);
    assert.ok(p99 < 250, `p99 ${p99.toFixed(1)} ms during the flood`);
    assert.equal(forwarded, 0, `${forwarded} of ${opened} cancelled streams were forwarded upstream`);
    assert.ok(goaways.length > 0 && goaways.every((code) => code === ERROR.ENHANCE_YOUR_CALM), `GOAWAY codes: ${goaways.join(', ')}`);
    assert.ok(child.rss() < 2 * baseline, `RSS ${mib(child.rss())} after the flood, ${mib(baseline)} before`);
    assert.equal((await normalRequests(1, '/app/after')).length, 1);
  });
});

describe('header-block floods (CVE-2024-27316 family)', () => {
  test('a HEADERS frame followed by endless CONTINUATION frames is cut early with GOAWAY, memory flat', async () => {
    const baseline = child.rss();
    const h2 = await settled();
    let sent = 0;
    try {
      h2.send(frame(FRAME.HEADERS, FLAG.END_STREAM, 1, requestBlock('/app/continuation')));
      const one = frame(FRAME.CONTINUATION, 0, 1, hpack([['x-flood', 'a'.repeat(200)]]));
      // Written in small batches with a pause between them: what counts is how much of the
      // flood the server reads before it cuts, not how much loopback's socket buffers (a few
      // MiB) take while the server process waits for a core.
      const batch = Buffer.concat(Array.from({ length: 50 }, () => one));
      while (!h2.isClosed() && sent < 10 * 2 ** 20) {
        if (!h2.socket.write(batch)) await Promise.race([new Promise((r) => h2.socket.once('drain', r)), h2.closed, sleep(2000)]);
        sent += batch.length;
        await sleep(5);
      }
      await Promise.race([h2.closed, sleep(3000)]);
      assert.ok(h2.goaway(), 'no GOAWAY');
      assert.ok(h2.isClosed(), 'the connection was not closed');
      assert.ok(sent < 2 ** 20, `${mib(sent)} of CONTINUATION frames were taken before the cut`);
      assert.equal(seenPath('/app/continuation'), 0);
      assert.ok(child.rss() - baseline < 20 * 2 ** 20, `RSS grew from ${mib(baseline)} to ${mib(child.rss())}`);
    } finally {
      h2.destroy();
    }
  });

  test('header lists over the advertised size are refused, and a flood of them is cut with GOAWAY', async () => {
    const baseline = child.rss();
    const h2 = await settled();
    try {
      const advertised = h2.serverSettings().get(SETTING.MAX_HEADER_LIST_SIZE);
      assert.equal(advertised, 16_384);
      // Each stream: about 36 KB of headers in HEADERS + 3 CONTINUATION frames (of at most
      // 16 KB each), ten streams every 10 ms, up to 1000 streams.
      const fields = hpack(Array.from({ length: 3 }, (_, i) => [`x-big-${i}`, 'b'.repeat(4000)] as const));
      const oversized = (id: number) =>
        Buffer.concat([
          frame(FRAME.HEADERS, FLAG.END_STREAM, id, requestBlock('/app/oversized')),
          frame(FRAME.CONTINUATION, 0, id, fields),
          frame(FRAME.CONTINUATION, 0, id, fields),
          frame(FRAME.CONTINUATION, FLAG.END_HEADERS, id, fields),
        ]);
      let streams = 0;
      const started = performance.now();
      while (streams < 1000 && !h2.isClosed()) {
        for (let i = 0; i < 10; i++) h2.send(oversized(1 + 2 * streams++));
        await sleep(10);
      }
      const elapsed = performance.now() - started;
      await Promise.race([h2.closed, sleep(3000)]);
      const refused = h2.frames.filter((f) => f.type === FRAME.RST_STREAM && f.payload.readUInt32BE(0) === ERROR.ENHANCE_YOUR_CALM);
      assert.ok(refused.length > 0, 'no stream was refused');
      assert.equal(h2.frames.filter((f) => f.type === FRAME.HEADERS).length, 0, 'an oversized request was answered');
      assert.equal(seenPath('/app/oversized'), 0, 'an oversized header list was forwarded');
      assert.equal(h2.goaway()?.code, ERROR.ENHANCE_YOUR_CALM, `GOAWAY ${JSON.stringify(h2.goaway())}`);
      assert.ok(h2.isClosed(), 'the connection was not closed');
      assert.ok(streams < 1000, `all ${streams} oversized streams were taken (${elapsed.toFixed(0)} ms)`);
      assert.ok(child.rss() - baseline < 20 * 2 ** 20, `RSS grew from ${mib(baseline)} to ${mib(child.rss())}`);
    } finally {
      h2.destroy();
    }
  });
});
