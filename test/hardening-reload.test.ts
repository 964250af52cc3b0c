// Reloads and certificate swaps under load lose nothing: `parapet serve` runs as a child
// process with keep-alive HTTP/1.1 and HTTP/2 load on its TLS listener while it gets a SIGHUP
// every 200 ms (one of them with a broken config), and its certificate is replaced on disk in
// place, by rename, and once with the key and certificate written far apart. No request may
// fail, no connection may close, and new handshakes see each new certificate within 5 s.
// Throughput during reloads is the benchmark's `reload` scenario, not timed here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { Pool } from 'undici';
import { createCa, issueLeaf, type Leaf } from './helpers/pki.js';
import { certificate, listener, startServer } from './helpers/server.js';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const NAME = 'mail.example.test';
const PATH = '/healthz/live';
const RELOADS = 100;
const RELOAD_EVERY_MS = 200;
const PICKUP_WITHIN_MS = 5000;
const H1_CONNECTIONS = 8;
const H2_STREAMS = 8;

/** What the load saw; every entry of `failures` and `closed` is one lost request or connection. */
interface LoadStats {
  ok: number;
  readonly failures: string[];
  readonly closed: string[];
  connects: number;
  /** The longest wait between two completed requests, a stall the counts would not show. */
  maxGapMs: number;
}

interface Load {
  readonly stats: LoadStats;
  /** Stops issuing requests, waits for those in flight, then closes the connections. */
  stop(): Promise<void>;
}

const newStats = (): LoadStats => ({ ok: 0, failures: [], closed: [], connects: 0, maxGapMs: 0 });

function tracker(stats: LoadStats): () => void {
  let last = performance.now();
  return () => {
    const now = performance.now();
    stats.maxGapMs = Math.max(stats.maxGapMs, now - last);
    last = now;
    stats.ok++;
  };
}

/** undici keeps `connections` keep-alive HTTP/1.1 connections (no ALPN h2), one request each at a time. */
function http1Load(port: number, ca: string): Load {
  const stats = newStats();
  const done = tracker(stats);
  let running = true;
  const pool = new Pool(`https://127.0.0.1:${port}`, { connections: H1_CONNECTIONS, pipelining: 1, connect: { ca, servername: NAME } });
  pool.on('connect', () => stats.connects++);
  pool.on('disconnect', (_origin, _targets, err) => {
    if (running) stats.closed.push(`HTTP/1.1 connection closed: ${err?.message ?? 'no error'}`);
  });
  pool.on('connectionError', (_origin, _targets, err) => stats.failures.push(`HTTP/1.1 connect failed: ${err.message}`));
  const loop = async () => {
    while (running) {
      try {
        const r = await pool.request({ path: PATH, method: 'GET' });
        const body = await r.body.text();
        if (r.statusCode === 200 && body.includes('live')) done();
        else stats.failures.push(`HTTP/1.1 answered ${r.statusCode}: ${body.slice(0, 200)}`);
      } catch (err) {
        stats.failures.push(`HTTP/1.1 request failed: ${(err as Error).message}`);
      }
    }
  };
  const loops = Array.from({ length: H1_CONNECTIONS }, loop);
  let stopped: Promise<void> | undefined;
  return {
    stats,
    stop: () =>
      (stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        await pool.close();
      })()),
  };
}

/** One HTTP/2 session with `H2_STREAMS` streams in flight at all times. */
function http2Load(port: number, ca: string): Load {
  const stats = newStats();
  const done = tracker(stats);
  let running = true;
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: NAME });
  session.once('connect', () => stats.connects++);
  session.on('goaway', (code) => {
    if (running) stats.closed.push(`HTTP/2 GOAWAY (code ${code})`);
  });
  session.on('close', () => {
    if (running) stats.closed.push('HTTP/2 session closed');
  });
  session.on('error', (err) => stats.failures.push(`HTTP/2 session error: ${err.message}`));
  const one = () =>
    new Promise<void>((resolve) => {
      const req = session.request({ ':path': PATH });
      let status = 0;
      let body = '';
      let ended = false;
      req.setEncoding('utf8');
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        ended = true;
        if (status === 200 && body.includes('live')) done();
        else stats.failures.push(`HTTP/2 answered ${status}: ${body.slice(0, 200)}`);
      });
      req.on('error', (err) => stats.failures.push(`HTTP/2 stream error: ${err.message}`));
      req.on('close', () => {
        if (!ended) stats.failures.push(`HTTP/2 stream closed before its end (RST code ${req.rstCode})`);
        resolve();
      });
      req.end();
    });
  const loop = async () => {
    while (running && !session.closed && !session.destroyed) await one();
  };
  const loops = Array.from({ length: H2_STREAMS }, loop);
  let stopped: Promise<void> | undefined;
  return {
    stats,
    stop: () =>
      (stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        if (!session.closed) await new Promise<void>((resolve) => session.close(resolve));
      })()),
  };
}

/** A fresh handshake, as a new client would make it: the fingerprint of the certificate it gets. */
function presentedCertificate(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: NAME, ca, ALPNProtocols: ['http/1.1'] }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

/** Milliseconds until new handshakes present `leaf`; fails after `PICKUP_WITHIN_MS`. */
async function pickedUp(port: number, ca: string, leaf: Leaf, what: string): Promise<number> {
  const expected = new X509Certificate(leaf.certPem).fingerprint256;
  const started = Date.now();
  for (;;) {
    if ((await presentedCertificate(port, ca)) === expected) return Date.now() - started;
    if (Date.now() - started > PICKUP_WITHIN_MS) throw new Error(`${what}: new handshakes still get the old certificate after ${PICKUP_WITHIN_MS} ms`);
    await sleep(100);
  }
}

/** `parapet serve` as a child; its JSON log lines are scanned as they come, not kept. */
function startParapet(configPath: string) {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const counts = { reloaded: 0, refused: 0, brokenConfigRefused: 0 };
  const notable: string[] = [];
  let url: string | undefined;
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      // One line per request at info: only the few that matter are looked at closely.
      if (line.includes('"msg":"request"')) continue;
      if (line.includes('"msg":"configuration reloaded"')) counts.reloaded++;
      else if (line.includes('"msg":"reload refused')) {
        counts.refused++;
        if (line.includes('CFG_TOML_SYNTAX')) counts.brokenConfigRefused++;
      } else if (url === undefined) {
        const m = /"msg":"listening on (https:\/\/[^ "]+)"/.exec(line);
        if (m) url = m[1];
      }
      if (/"level":(50|60)/.test(line) && !line.includes('reload refused')) notable.push(line.slice(0, 500));
    }
  });
  return {
    child,
    counts,
    notable,
    exited,
    async port(): Promise<number> {
      const deadline = Date.now() + 15_000;
      while (url === undefined) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`parapet did not start listening:\n${stderr}`);
        await sleep(50);
      }
      return Number(new URL(url).port);
    },
    kill() {
      process.off('exit', killNow);
      killNow();
    },
  };
}

test('100 reloads, a broken config and three certificate swaps under HTTP/1.1 and HTTP/2 load: nothing fails or closes', { timeout: 90_000 }, async (t) => {
  const ca = await createCa();
  const [first, inPlace, renamed, farApart] = await Promise.all([1, 2, 3, 4].map(() => issueLeaf(ca, [NAME])));
  const dir = mkdtempSync(join(tmpdir(), 'parapet-reload-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const configPath = join(dir, 'config.toml');
  writeFileSync(certPath, first!.certPem);
  writeFileSync(keyPath, first!.keyPem);
  // info, so the reloads can be counted from the log (one line per request as well).
  const config = `[server]
data-dir = ${JSON.stringify(join(dir, 'data'))}
log-level = "info"

[server.listener.tls]
protocol = "http"
bind = "127.0.0.1:0"
tls.implicit = true

[certificate.main]
cert = "%{file:${certPath}}%"
private-key = "%{file:${keyPath}}%"
default = true

[http.rate-limit]
anonymous = "1000000/1m"
`;
  writeFileSync(configPath, config);

  const parapet = startParapet(configPath);
  let h1: Load | undefined;
  let h2: Load | undefined;
  try {
    const port = await parapet.port();
    h1 = http1Load(port, ca.certPem);
    h2 = http2Load(port, ca.certPem);
    await sleep(500);

    const pickups: Promise<number>[] = [];
    for (let i = 0; i < RELOADS; i++) {
      if (i === 20) {
        // Rewritten in place, key first: a reload may read the new key with the old certificate.
        writeFileSync(keyPath, inPlace!.keyPem);
        await sleep(30);
        writeFileSync(certPath, inPlace!.certPem);
        pickups.push(pickedUp(port, ca.certPem, inPlace!, 'rewritten in place'));
      }
      if (i === 75) {
        // New files renamed over the old ones, as certbot and acme.sh do.
        writeFileSync(`${keyPath}.new`, renamed!.keyPem);
        writeFileSync(`${certPath}.new`, renamed!.certPem);
        renameSync(`${keyPath}.new`, keyPath);
        renameSync(`${certPath}.new`, certPath);
        pickups.push(pickedUp(port, ca.certPem, renamed!, 'renamed over'));
      }
      if (i === 50) {
        writeFileSync(configPath, `${config}\n[http\nhsts = true\n`);
        parapet.child.kill('SIGHUP');
        await sleep(RELOAD_EVERY_MS);
        // Restored before the next SIGHUP, once the broken one has been refused.
        for (let waited = 0; parapet.counts.brokenConfigRefused === 0 && waited < 5000; waited += 20) await sleep(20);
        writeFileSync(configPath, config);
        continue;
      }
      parapet.child.kill('SIGHUP');
      await sleep(RELOAD_EVERY_MS);
    }
    const [tookInPlace, tookRenamed] = await Promise.all(pickups);

    // No SIGHUP now: the file watcher alone notices a renewal whose key lands well before its
    // certificate. The reload in between is refused (the key does not match) and drops nothing.
    writeFileSync(keyPath, farApart!.keyPem);
    await sleep(1600);
    writeFileSync(certPath, farApart!.certPem);
    const tookFarApart = await pickedUp(port, ca.certPem, farApart!, 'key and certificate written 1.6 s apart');
    await sleep(300);

    await Promise.all([h1.stop(), h2.stop()]);
    const report = JSON.stringify({ http1: h1.stats, http2: h2.stats, log: parapet.counts, pickupsMs: [tookInPlace, tookRenamed, tookFarApart], notable: parapet.notable.slice(0, 5) }, (k, v: unknown) =>
      (k === 'failures' || k === 'closed') && Array.isArray(v) ? [v.length, ...v.slice(0, 5)] : v,
    );
    t.diagnostic(report);
    assert.deepEqual([...h1.stats.failures, ...h2.stats.failures], [], report);
    assert.deepEqual([...h1.stats.closed, ...h2.stats.closed], [], report);
    assert.equal(h1.stats.connects, H1_CONNECTIONS, `the HTTP/1.1 connections were never reopened: ${report}`);
    assert.equal(h2.stats.connects, 1, report);
    assert.ok(h1.stats.ok > 500 && h2.stats.ok > 500, `the load kept running: ${report}`);
    assert.ok(h1.stats.maxGapMs < 3000 && h2.stats.maxGapMs < 3000, `no stall: ${report}`);
    assert.equal(parapet.counts.brokenConfigRefused, 1, report);
    assert.ok(parapet.counts.reloaded >= RELOADS - 10, `the SIGHUPs were reloads: ${report}`);
    assert.deepEqual(parapet.notable, [], report);

    parapet.child.kill('SIGTERM');
    assert.equal(await parapet.exited, 0);
  } finally {
    await Promise.all([h1?.stop(), h2?.stop()]).catch(() => undefined);
    parapet.kill();
  }
});

/** A handshake offering `session`; whether the server resumed it, and the session to offer next. */
function resumable(port: number, ca: string, maxVersion: tls.SecureVersion, session?: Buffer): Promise<{ resumed: boolean; session: Buffer }> {
  return new Promise((resolve, reject) => {
    let next: Buffer | undefined;
    const socket = tls.connect({ host: '127.0.0.1', port, servername: NAME, ca, maxVersion, ...(session ? { session } : {}) }, () => {
      // TLS 1.3 tickets arrive after the handshake: one request and answer make sure it came.
      socket.write(`GET ${PATH} HTTP/1.1\r\nHost: ${NAME}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('session', (s: Buffer) => (next = s));
    socket.on('error', reject);
    socket.resume();
    socket.on('end', () => {
      const resumed = socket.isSessionReused();
      socket.destroy();
      if (next ?? session) resolve({ resumed, session: (next ?? session)! });
      else reject(new Error('the server sent no session ticket'));
    });
  });
}

test('reloads keep TLS sessions resumable, a renewed certificate too: clients do not all pay a full handshake', async () => {
  const ca = await createCa();
  const [leaf, renewed] = await Promise.all([issueLeaf(ca, [NAME]), issueLeaf(ca, [NAME])]);
  const config = (l: Leaf) => `${listener('tls', { tls: true })}${certificate('main', l.certPem, l.keyPem, 'default = true')}`;
  const s = await startServer(config(leaf!));
  try {
    const port = s.port('tls');
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await resumable(port, ca.certPem, version);
      assert.equal(first.resumed, false);
      for (let i = 0; i < 3; i++) assert.equal((await s.server.reload()).ok, true);
      const again = await resumable(port, ca.certPem, version, first.session);
      assert.equal(again.resumed, true, `${version} session resumed after three reloads`);
    }
    const before = await resumable(port, ca.certPem, 'TLSv1.3');
    s.rewrite(config(renewed!));
    assert.equal((await s.server.reload()).ok, true);
    assert.equal(await presentedCertificate(port, ca.certPem), new X509Certificate(renewed!.certPem).fingerprint256);
    assert.equal((await resumable(port, ca.certPem, 'TLSv1.3', before.session)).resumed, true, 'session resumed after the certificate changed');
  } finally {
    await s.close();
  }
});
