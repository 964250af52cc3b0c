// HSTS and TLS as real clients see them: curl's HSTS cache, headless Chromium's internal
// upgrade, and openssl s_client handshakes. A missing tool is a failure, never a skip:
// `.ci/run` installs chromium, libnss3-tools (certutil), curl and openssl.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import selfsigned from 'selfsigned';
import { ALERT_HANDSHAKE_FAILURE, clientHello, sendClientHello } from './helpers/clienthello.js';
import { createCa, issueLeaf, type Leaf, type TestCa } from './helpers/pki.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';
import { CHROMIUM, CHROMIUM_FLAGS } from './helpers/chromium.js';

const HOST = 'mail.example.test';
const SUBDOMAIN = `www.${HOST}`;
const RSA_HOST = 'rsa.example.test';
const CURL = '/usr/bin/curl';
const CERTUTIL = '/usr/bin/certutil';
const OPENSSL = '/usr/bin/openssl';
const LIVE_BODY = '{"status":"live"}';

let ca: TestCa;
let leaf: Leaf;
let rsa: Leaf;
let work: string;
let caPath: string;
before(async () => {
  ca = await createCa();
  leaf = await issueLeaf(ca, [HOST, SUBDOMAIN]);
  // Self-signed RSA certificate: RSA key exchange and ECDHE-RSA suites need an RSA key, and the
  // test CA (EC) cannot sign one through selfsigned. Verification is not what those tests check.
  const r = await selfsigned.generate([{ name: 'commonName', value: RSA_HOST }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2 as const, value: RSA_HOST }] },
    ],
  });
  rsa = { certPem: r.cert, keyPem: r.private };
  work = mkdtempSync(join(tmpdir(), 'parapet-clients-'));
  caPath = join(work, 'ca.pem');
  writeFileSync(caPath, ca.certPem);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A TLS-only Parapet with the test certificate; `hsts` is the `[http]` section's body. */
const tlsServer = (http: string, extra = '') => startServer(`${listener('tls', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem, 'default = true')}${extra}\n[http]\n${http}\n`);

/** Checked inside each test (a failing hook would only cancel them): a missing tool fails. */
function requireTool(path: string, pkg: string): void {
  assert.ok(existsSync(path), `${path} is missing: .ci/run should have installed it (apt-get install ${pkg}); this test does not skip`);
}

/** Runs `fn` once, on first use, and hands every caller the same promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs a command with stdin closed; kills it (by its pid) if it outlives `timeoutMs`. */
function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

describe('curl --hsts', () => {
  let on: TestServer;
  let off: TestServer;
  const curlWithHsts = once(async () => {
    requireTool(CURL, 'curl');
    const version = await run(CURL, ['--version']);
    assert.match(version.stdout, /^Features:.*\bHSTS\b/m, `this curl has no HSTS support:\n${version.stdout}`);
  });
  before(async () => {
    on = await tlsServer('hsts = true');
    off = await tlsServer('hsts = false');
  });
  after(async () => {
    await on?.close();
    await off?.close();
  });

  /** curl against a TLS port by name, resolved to loopback; prints the effective URL last. */
  async function curl(port: number, url: string, cache: string): Promise<ProcessResult> {
    await curlWithHsts();
    const args = ['-sS', '-v', '--max-time', '10', '--hsts', cache, '--cacert', caPath, '--resolve', `${HOST}:${port}:127.0.0.1`, '-w', '\n%{url_effective} %{http_code}', url];
    return run(CURL, args);
  }
  const effective = (stdout: string) => stdout.trimEnd().split('\n').at(-1) ?? '';

  test('one HTTPS visit stores the host; an http:// URL is then upgraded by curl itself', { timeout: 60_000 }, async () => {
    const port = on.port('tls');
    const cache = join(work, 'curl-on.txt');
    const first = await curl(port, `https://${HOST}:${port}/healthz/live`, cache);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(effective(first.stdout), `https://${HOST}:${port}/healthz/live 200`);
    const stored = readFileSync(cache, 'utf8');
    // A leading dot is curl's mark for includeSubDomains.
    assert.match(stored, /^\.mail\.example\.test "\d{8} \d{2}:\d{2}:\d{2}"$/m, stored);
    const expiry = /^\.mail\.example\.test "(\d{4})(\d{2})(\d{2})/m.exec(stored)!;
    const days = (Date.UTC(Number(expiry[1]), Number(expiry[2]) - 1, Number(expiry[3])) - Date.now()) / 86_400_000;
    assert.ok(days > 363 && days < 367, `max-age of a year, stored as ${expiry[0]}`);

    // The TLS port cannot answer plain HTTP, so a 200 here proves curl switched to https.
    const upgraded = await curl(port, `http://${HOST}:${port}/healthz/live`, cache);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.ok(upgraded.stdout.startsWith(LIVE_BODY), upgraded.stdout);
    assert.equal(effective(upgraded.stdout), `https://${HOST}:${port}/healthz/live 200`);
    assert.match(upgraded.stderr, /Switched from HTTP to HTTPS due to HSTS/);
  });

  test('without the cache entry the same http:// URL fails against the TLS port', { timeout: 30_000 }, async () => {
    const port = on.port('tls');
    const cache = join(work, 'curl-empty.txt');
    writeFileSync(cache, '');
    const r = await curl(port, `http://${HOST}:${port}/healthz/live`, cache);
    assert.notEqual(r.code, 0, 'a plain-HTTP request to a TLS port cannot succeed');
    assert.ok(!r.stdout.includes(LIVE_BODY));
    assert.equal(effective(r.stdout), `http://${HOST}:${port}/healthz/live 000`);
    assert.doesNotMatch(r.stderr, /due to HSTS/);
  });

  test('HSTS off: nothing is stored and nothing is upgraded', { timeout: 30_000 }, async () => {
    const port = off.port('tls');
    const cache = join(work, 'curl-off.txt');
    const first = await curl(port, `https://${HOST}:${port}/healthz/live`, cache);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(effective(first.stdout), `https://${HOST}:${port}/healthz/live 200`);
    assert.ok(!readFileSync(cache, 'utf8').includes(HOST));
    const second = await curl(port, `http://${HOST}:${port}/healthz/live`, cache);
    assert.notEqual(second.code, 0);
    assert.equal(effective(second.stdout), `http://${HOST}:${port}/healthz/live 000`);
  });
});

describe('headless Chromium', () => {
  let on: TestServer;
  let off: TestServer;
  // Chromium on Linux trusts the CAs of the NSS database under $HOME: a throwaway one.
  const nssHome = once(async () => {
    requireTool(CERTUTIL, 'libnss3-tools');
    const home = mkdtempSync(join(work, 'home-'));
    const db = `sql:${join(home, '.pki', 'nssdb')}`;
    mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
    for (const args of [
      ['-d', db, '-N', '--empty-password'],
      ['-d', db, '-A', '-t', 'C,,', '-n', 'parapet-test', '-i', caPath],
    ]) {
      const r = await run(CERTUTIL, args);
      assert.equal(r.code, 0, `certutil ${args.join(' ')}: ${r.stderr}`);
    }
    return home;
  });
  before(async () => {
    on = await tlsServer('hsts = true');
    off = await tlsServer('hsts = false');
  });
  after(async () => {
    await on?.close();
    await off?.close();
  });

  /** A fresh browser profile (so no HSTS state carries over), closed and removed even on failure. */
  async function withBrowser(fn: (ctx: BrowserContext) => Promise<void>): Promise<void> {
    requireTool(CHROMIUM, 'chromium');
    const home = await nssHome();
    const profile = mkdtempSync(join(work, 'profile-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      env: { ...process.env, HOME: home },
      args: [
        ...CHROMIUM_FLAGS,
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1, MAP ${SUBDOMAIN} 127.0.0.1`,
        // Chromium's own HTTPS upgrading would also turn http:// into https://; off, so that
        // only HSTS can do it here (the HSTS-off test below proves nothing else does).
        '--disable-features=HttpsUpgrades',
      ],
    });
    try {
      await fn(ctx);
    } finally {
      // Bounded: a browser that will not close must not hold the test run open.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ctx.close(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
    }
  }

  test('after one HTTPS visit, http:// navigations are upgraded inside the browser', { timeout: 90_000 }, () =>
    withBrowser(async (ctx) => {
      const port = on.port('tls');
      const page = await ctx.newPage();
      const first = await page.goto(`https://${HOST}:${port}/healthz/live`, { timeout: 15_000 });
      assert.ok(first);
      assert.equal(first.status(), 200);
      assert.equal(await first.headerValue('strict-transport-security'), 'max-age=31536000; includeSubDomains');

      const seen: string[] = [];
      page.on('response', (r) => seen.push(`${r.status()} ${r.url()}`));
      const second = await page.goto(`http://${HOST}:${port}/healthz/live`, { timeout: 15_000 });
      assert.ok(second);
      assert.equal(second.status(), 200);
      assert.equal(second.url(), `https://${HOST}:${port}/healthz/live`);
      assert.equal(page.url(), `https://${HOST}:${port}/healthz/live`);
      assert.equal(await page.textContent('body'), LIVE_BODY);
      // The browser's own internal redirect, which never reached the network.
      const hop = second.request().redirectedFrom();
      assert.equal(hop?.url(), `http://${HOST}:${port}/healthz/live`);
      const hopResponse = await hop?.response();
      assert.equal(hopResponse?.status(), 307);
      assert.equal(await hopResponse?.headerValue('non-authoritative-reason'), 'HSTS');
      assert.deepEqual(seen, [`307 http://${HOST}:${port}/healthz/live`, `200 https://${HOST}:${port}/healthz/live`]);

      // includeSubDomains: a subdomain never visited is upgraded too.
      const sub = await page.goto(`http://${SUBDOMAIN}:${port}/healthz/live`, { timeout: 15_000 });
      assert.ok(sub);
      assert.equal(sub.status(), 200);
      assert.equal(sub.url(), `https://${SUBDOMAIN}:${port}/healthz/live`);
    }));

  test('with HSTS off the same http:// navigation is not upgraded', { timeout: 90_000 }, () =>
    withBrowser(async (ctx) => {
      const port = off.port('tls');
      const page = await ctx.newPage();
      const first = await page.goto(`https://${HOST}:${port}/healthz/live`, { timeout: 15_000 });
      assert.ok(first);
      assert.equal(first.status(), 200);
      assert.equal(await first.headerValue('strict-transport-security'), null);

      const seen: string[] = [];
      page.on('response', (r) => seen.push(`${r.status()} ${r.url()}`));
      let error: Error | undefined;
      let status: number | undefined;
      let url: string | undefined;
      try {
        const r = await page.goto(`http://${HOST}:${port}/healthz/live`, { timeout: 15_000 });
        status = r?.status();
        url = r?.url();
      } catch (err) {
        error = err as Error;
      }
      // Plain HTTP to the TLS port: the browser gets no HTTP answer at all.
      assert.ok(error, `expected the navigation to fail, got ${status} ${url}`);
      assert.match(error.message, /net::ERR_\w+ at http:\/\//);
      // No internal redirect and no https response: the browser never left http://.
      assert.deepEqual(seen, []);
    }));
});

describe('TLS strength (openssl s_client)', () => {
  let s: TestServer;
  let control: tls.Server;
  let controlPort: number;
  before(async () => {
    s = await tlsServer('hsts = true', certificate('rsa', rsa.certPem, rsa.keyPem));
    // A deliberately permissive server with the same keys: each refusal below is checked to
    // succeed here, so it is Parapet's policy that refuses, not the client that cannot offer.
    control = tls.createServer(
      { cert: [leaf.certPem, rsa.certPem], key: [leaf.keyPem, rsa.keyPem], minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' },
      (socket) => socket.end(),
    );
    control.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    controlPort = (control.address() as { port: number }).port;
  });
  after(async () => {
    await s?.close();
    await new Promise((resolve) => (control ? control.close(resolve) : resolve(undefined)));
  });

  async function sClient(port: number, servername: string, args: readonly string[]): Promise<ProcessResult & { out: string }> {
    requireTool(OPENSSL, 'openssl');
    const r = await run(OPENSSL, ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', servername, ...args], { timeoutMs: 15_000 });
    assert.equal(r.timedOut, false, 'openssl s_client hung');
    return { ...r, out: r.stdout + r.stderr };
  }

  const refused: { name: string; servername: string; args: string[]; alert: RegExp }[] = [
    { name: 'TLS 1.0', servername: HOST, args: ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0'], alert: /alert protocol version/ },
    { name: 'TLS 1.1', servername: HOST, args: ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], alert: /alert protocol version/ },
    { name: 'TLS 1.2 ECDHE-ECDSA-AES128-SHA (CBC)', servername: HOST, args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'], alert: /alert handshake failure/ },
    { name: 'TLS 1.2 ECDHE-ECDSA-AES256-SHA384 (CBC)', servername: HOST, args: ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-SHA384'], alert: /alert handshake failure/ },
    { name: 'TLS 1.2 ECDHE-RSA-AES128-SHA (CBC)', servername: RSA_HOST, args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'], alert: /alert handshake failure/ },
    { name: 'TLS 1.2 AES128-SHA (RSA key exchange, CBC)', servername: RSA_HOST, args: ['-tls1_2', '-cipher', 'AES128-SHA'], alert: /alert handshake failure/ },
    { name: 'TLS 1.2 AES128-GCM-SHA256 (no forward secrecy)', servername: RSA_HOST, args: ['-tls1_2', '-cipher', 'AES128-GCM-SHA256'], alert: /alert handshake failure/ },
  ];
  for (const c of refused) {
    test(`${c.name} is refused`, { timeout: 40_000 }, async () => {
      const ok = await sClient(controlPort, c.servername, c.args);
      assert.equal(ok.code, 0, `control server should accept ${c.name}:\n${ok.out}`);
      const r = await sClient(s.port('tls'), c.servername, c.args);
      assert.notEqual(r.code, 0, r.out);
      // The alert is the server's answer (not the client declining to offer the suite).
      assert.match(r.out, c.alert);
      assert.match(r.out, /Cipher is \(NONE\)/);
    });
  }

  // No TLS library on this machine offers 3DES or RC4 any more (OpenSSL 3 builds without
  // them), so those suites are offered in a hand-built ClientHello.
  const legacy: { name: string; suite: number; servername: string }[] = [
    { name: 'DES-CBC3-SHA', suite: 0x000a, servername: RSA_HOST },
    { name: 'ECDHE-RSA-DES-CBC3-SHA', suite: 0xc012, servername: RSA_HOST },
    { name: 'RC4-SHA', suite: 0x0005, servername: RSA_HOST },
  ];
  for (const c of legacy) {
    test(`TLS 1.2 ${c.name} (hand-built ClientHello) is refused with handshake_failure`, { timeout: 20_000 }, async () => {
      const answer = await sendClientHello(s.port('tls'), clientHello([c.suite], c.servername));
      assert.deepEqual(answer, { kind: 'alert', level: 2, description: ALERT_HANDSHAKE_FAILURE });
    });
  }
  test('the hand-built ClientHello is well-formed: with a strong suite the server answers ServerHello', { timeout: 20_000 }, async () => {
    for (const [suite, servername] of [
      [0xc02b, HOST], // ECDHE-ECDSA-AES128-GCM-SHA256
      [0xc02f, RSA_HOST], // ECDHE-RSA-AES128-GCM-SHA256
    ] as const) {
      const answer = await sendClientHello(s.port('tls'), clientHello([0x000a, suite], servername));
      assert.deepEqual(answer, { kind: 'server-hello', version: 0x0303, suite });
    }
  });

  test('TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 succeeds, with a verified chain', { timeout: 20_000 }, async () => {
    const r = await sClient(s.port('tls'), HOST, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-CAfile', caPath, '-verify_return_error']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    assert.match(r.out, /Verify return code: 0 \(ok\)/);
  });

  test('TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 succeeds with the RSA certificate', { timeout: 20_000 }, async () => {
    const r = await sClient(s.port('tls'), RSA_HOST, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
  });

  test('TLS 1.3 succeeds, with a verified chain', { timeout: 20_000 }, async () => {
    const r = await sClient(s.port('tls'), HOST, ['-tls1_3', '-CAfile', caPath, '-verify_return_error']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /New, TLSv1\.3, Cipher is TLS_/);
    assert.match(r.out, /Verify return code: 0 \(ok\)/);
  });
});
