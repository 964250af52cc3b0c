// Slow and silent clients: a connection that does not finish its request headers (or its TLS
// handshake, or its HTTP/2 preface and header block) is cut within `http.timeout.headers`,
// hundreds of them cost the other clients nothing noticeable, and `max-connections` holds.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/load.js';
import { startChild, percentile, type ChildServer } from './helpers/child.js';
import { connectH2, FLAG, FRAME, frame, hpack, PREFACE, requestBlock } from './helpers/h2frames.js';
import { createCa, issueLeaf } from './helpers/pki.js';
import { rawRequest } from './helpers/raw.js';
import { certificate, listener } from './helpers/server.js';

const HEADERS_TIMEOUT_MS = 3000;
/** What a cut may take beyond the timeout: the server's check interval plus a loaded machine. */
const SLACK_MS = 1000;

interface Cut {
  /** ms from connect to the server closing the connection. */
  readonly afterMs: number;
  /** What the server sent before closing. */
  readonly received: string;
}

/**
 * Opens a TCP connection, writes `first`, then one byte of `drip` per `everyMs` (none when
 * drip is empty) and resolves when the server closes it; gives up after `limitMs`.
 */
function slowClient(port: number, first: string, drip: string, everyMs = 1000, limitMs = 15_000): Promise<Cut> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      if (first) socket.write(first);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), everyMs);
    });
    const giveUp = setTimeout(() => socket.destroy(), limitMs);
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ afterMs: performance.now() - started, received });
    });
  });
}

function assertCutInTime(cut: Cut, what: string): void {
  assert.ok(cut.afterMs >= HEADERS_TIMEOUT_MS - 200, `${what}: cut after ${cut.afterMs.toFixed(0)} ms, before the timeout`);
  assert.ok(cut.afterMs <= HEADERS_TIMEOUT_MS + SLACK_MS, `${what}: still open ${cut.afterMs.toFixed(0)} ms after connecting (timeout ${HEADERS_TIMEOUT_MS} ms)`);
}

let pki: { certPem: string; keyPem: string; caPem: string };
let child: ChildServer;

before(async () => {
  const ca = await createCa();
  const leaf = await issueLeaf(ca, ['localhost']);
  pki = { ...leaf, caPem: ca.certPem };
  child = await startChild(`
${listener('web')}
${listener('secure', { tls: true })}
${listener('capped')}
max-connections = 5
${certificate('main', pki.certPem, pki.keyPem, 'default = true')}
[http.timeout]
headers = "${HEADERS_TIMEOUT_MS}ms"
`);
});
after(() => child?.kill());

describe('the headers timeout', () => {
  test('defaults to no more than 30 s', () => {
    const r = loadConfig({ name: 't.toml', text: listener('web') }, { env: {}, readFile: () => '' });
    assert.ok(r.ok);
    assert.ok(r.settings.http.limits.headersTimeoutMs <= 30_000, `${r.settings.http.limits.headersTimeoutMs} ms`);
  });

  test('HTTP/1.1: headers sent one byte per second, or none at all, are cut on time with 408', async () => {
    const port = child.port('web');
    const [drip, silent, afterLine] = await Promise.all([
      slowClient(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'abcdefghijklmnopqrstuvwxyz'),
      slowClient(port, '', ''),
      slowClient(port, 'G', 'ET / HTTP/1.1\r\nHost: localhost\r\n'),
    ]);
    assertCutInTime(drip, 'one byte per second');
    assertCutInTime(silent, 'silent');
    assertCutInTime(afterLine, 'request line dripped');
    assert.match(drip.received, /^HTTP\/1\.1 408 /);
  });

  test('TLS: a client that never completes its handshake is cut on time', async () => {
    const port = child.port('secure');
    const partialHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]).toString('latin1');
    const [silent, partial] = await Promise.all([slowClient(port, '', ''), slowClient(port, partialHello, '\x03\x03\x00\x00', 700)]);
    assertCutInTime(silent, 'no ClientHello');
    assertCutInTime(partial, 'a ClientHello dripped');
  });

  test('HTTP/2: no preface, half a preface, a header block that never ends: each cut on time', async () => {
    const port = child.port('secure');
    const cutAfter = async (setup: (h2: Awaited<ReturnType<typeof connectH2>>) => NodeJS.Timeout | undefined, preface = true) => {
      const started = performance.now();
      const h2 = await connectH2(port, { preface });
      const timer = setup(h2);
      const limit = setTimeout(() => h2.destroy(), 15_000);
      await h2.closed;
      clearInterval(timer);
      clearTimeout(limit);
      return { afterMs: performance.now() - started, received: '' };
    };
    const [none, half, open, dripped, idle] = await Promise.all([
      cutAfter(() => undefined, false),
      cutAfter((h2) => void h2.send(PREFACE.subarray(0, 10)), false),
      // HEADERS without END_HEADERS, then nothing: the stream never exists for the server's handler.
      cutAfter((h2) => void h2.send(frame(FRAME.HEADERS, 0, 1, requestBlock('/healthz/live')))),
      // ... or a CONTINUATION frame now and then, which keeps the connection busy but never ends.
      cutAfter((h2) => {
        h2.send(frame(FRAME.HEADERS, 0, 1, requestBlock('/healthz/live')));
        return setInterval(() => h2.send(frame(FRAME.CONTINUATION, 0, 1, hpack([['x-slow', 'a']]))), 500);
      }),
      // A complete preface and then no stream at all.
      cutAfter(() => undefined),
    ]);
    assertCutInTime(none, 'no preface');
    assertCutInTime(half, 'half a preface');
    assertCutInTime(open, 'unfinished header block');
    assertCutInTime(dripped, 'CONTINUATION drip');
    assertCutInTime(idle, 'no stream');
  });

  test('an HTTP/2 connection that keeps working is not cut', async () => {
    const h2 = await connectH2(child.port('secure'));
    try {
      for (let id = 1; id <= 9; id += 2) {
        h2.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, requestBlock('/healthz/live')));
        const answer = await h2.waitFor((f) => f.type === FRAME.HEADERS && f.streamId === id, 2000);
        assert.ok(answer, `no answer on stream ${id}`);
        await sleep(HEADERS_TIMEOUT_MS / 4);
      }
      assert.equal(h2.isClosed(), false, 'a connection with a request every few hundred ms was cut');
    } finally {
      h2.destroy();
    }
  });
});

describe('300 slow clients', () => {
  test('do not slow normal requests (p99 < 100 ms) nor double the memory, and are all cut on time', async () => {
    const port = child.port('web');
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) assert.equal((await rawRequest(url, { path: '/healthz/live' })).status, 200);
    const baseline = child.rss();

    const slow: Promise<Cut>[] = [];
    for (let i = 0; i < 300; i++) {
      slow.push(slowClient(port, `GET /healthz/live HTTP/1.1\r\nHost: localhost\r\nX-Client-${i}: `, 'abcdefgh'));
      if (i % 50 === 49) await sleep(10);
    }
    await sleep(300);
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const r = await rawRequest(url, { path: '/healthz/live' });
      latencies.push(performance.now() - started);
      assert.equal(r.status, 200);
    }
    const during = child.rss();
    const cuts = await Promise.all(slow);

    const p99 = percentile(latencies, 99);
    assert.ok(p99 < 100, `p99 ${p99.toFixed(1)} ms with 300 slow clients`);
    assert.ok(during < 2 * baseline, `RSS ${(during / 2 ** 20).toFixed(0)} MiB with the slow clients, ${(baseline / 2 ** 20).toFixed(0)} MiB before`);
    const late = cuts.filter((c) => c.afterMs > HEADERS_TIMEOUT_MS + SLACK_MS);
    assert.equal(late.length, 0, `${late.length} of 300 slow clients outlived the timeout: ${late.slice(0, 5).map((c) => c.afterMs.toFixed(0)).join(', ')} ms`);
  });
});

describe('server.listener.<id>.max-connections', () => {
  test('past the limit a connection is closed unanswered; a freed slot is usable again', async () => {
    const port = child.port('capped');
    const url = `http://127.0.0.1:${port}`;
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const s = net.connect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        await new Promise((r) => s.once('connect', r));
        s.write('GET / HTTP/1.1\r\nHost: localhost\r\n');
        held.push(s);
      }
      await sleep(100);
      const refused = await rawRequest(url, { path: '/healthz/live' }).then(
        (r) => `answered ${r.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      assert.ok(!refused.startsWith('answered'), `the sixth connection was ${refused}`);

      held.pop()!.destroy();
      await sleep(100);
      assert.equal((await rawRequest(url, { path: '/healthz/live' })).status, 200);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  test('applies to a TLS listener too, counting connections still in their handshake', async () => {
    const capped = await startChild(`
${listener('secure', { tls: true })}
max-connections = 3
${certificate('main', pki.certPem, pki.keyPem, 'default = true')}
`);
    const held: net.Socket[] = [];
    try {
      const port = capped.port('secure');
      for (let i = 0; i < 3; i++) {
        const s = net.connect({ host: '127.0.0.1', port });
        s.on('error', () => undefined);
        await new Promise((r) => s.once('connect', r));
        held.push(s);
      }
      await sleep(100);
      const fourth = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: pki.caPem, servername: 'localhost' });
        s.once('secureConnect', () => {
          s.destroy();
          resolve('handshake completed');
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        s.setTimeout(3000, () => s.destroy(new Error('timed out')));
      });
      assert.notEqual(fourth, 'handshake completed');
      held.pop()!.destroy();
      await sleep(100);
      assert.equal((await rawRequest(`https://127.0.0.1:${port}`, { path: '/healthz/live', ca: pki.caPem, servername: 'localhost' })).status, 200);
    } finally {
      for (const s of held) s.destroy();
      capped.kill();
    }
  });
});
