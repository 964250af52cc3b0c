// `parapet explain` against a live server: for the same config and request, the headers it
// predicts are the headers the server sends, name by name and value by value, in order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfig, readSource } from '../src/config/load.js';
import { explain, type Explanation, type ExplainRequest } from '../src/policy/explain.js';
import { compilePolicy } from '../src/policy/index.js';
import { createCa, issueLeaf } from './helpers/pki.js';
import { rawRequest, withoutTransport, type RawResponse } from './helpers/raw.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';

/** dist/src/cli/main.js, beside this compiled test. */
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const HOST = 'mail.example.test';
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

interface Case {
  readonly name: string;
  readonly listener: 'web' | 'secure';
  readonly method: string;
  readonly path: string;
  readonly origin?: string;
  readonly headers?: Record<string, string>;
  /** The step and status the case is about, so a case cannot pass by answering something else. */
  readonly step: Explanation['step'];
  readonly status: number;
  /** header name → the config key explain must name first. */
  readonly keys: Record<string, string>;
}

const PREFLIGHT = { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, x-custom' };

const SETUPS: { name: string; http: string; cases: Case[] }[] = [
  {
    name: 'permissive + HSTS',
    http: '[http]\nhsts = true\npermissive-cors = true\n',
    cases: [
      { name: 'permissive preflight over TLS', listener: 'secure', method: 'OPTIONS', path: '/any/path', origin: APP, headers: PREFLIGHT, step: 'preflight', status: 204, keys: { 'strict-transport-security': 'http.hsts', 'access-control-allow-origin': 'http.permissive-cors', 'access-control-allow-methods': 'http.permissive-cors', 'access-control-max-age': 'http.cors.max-age' } },
      { name: 'plain GET over TLS', listener: 'secure', method: 'GET', path: '/robots.txt', origin: EVIL, step: 'route', status: 200, keys: { 'strict-transport-security': 'http.hsts', 'access-control-allow-origin': 'http.permissive-cors' } },
      { name: 'HSTS redirect of a GET', listener: 'web', method: 'GET', path: '/robots.txt?x=1', origin: APP, step: 'hsts-redirect', status: 301, keys: { location: 'http.hsts', 'access-control-allow-origin': 'http.permissive-cors' } },
      { name: 'HSTS redirect of a POST', listener: 'web', method: 'POST', path: '/api/x', step: 'hsts-redirect', status: 308, keys: { location: 'http.hsts' } },
      { name: 'exempt ACME path on plain HTTP', listener: 'web', method: 'GET', path: '/.well-known/acme-challenge/t', step: 'route', status: 404, keys: { 'access-control-allow-origin': 'http.permissive-cors' } },
    ],
  },
  {
    name: 'allowlist + HSTS + configured headers',
    http: `[http]\nhsts = true\nheaders = ["X-Frame-Options: DENY", "X-Content-Type-Options: nosniff"]\ncors.allowed-origins = ["${APP}", "https://*.example.org"]\ncors.allow-credentials = true\ncors.expose-headers = ["ETag"]\n`,
    cases: [
      { name: 'allowlist: allowed origin, preflight', listener: 'secure', method: 'OPTIONS', path: '/nope', origin: APP, headers: PREFLIGHT, step: 'preflight', status: 204, keys: { 'x-frame-options': 'http.headers', 'access-control-allow-origin': 'http.cors.allowed-origins', 'access-control-allow-credentials': 'http.cors.allow-credentials', vary: 'http.cors.allowed-origins' } },
      { name: 'allowlist: denied origin, preflight', listener: 'secure', method: 'OPTIONS', path: '/nope', origin: EVIL, headers: PREFLIGHT, step: 'preflight', status: 403, keys: { vary: 'http.cors.allowed-origins', 'strict-transport-security': 'http.hsts' } },
      { name: 'allowlist: allowed subdomain, GET', listener: 'secure', method: 'GET', path: '/nope', origin: 'https://a.example.org', step: 'route', status: 404, keys: { 'access-control-allow-origin': 'http.cors.allowed-origins', 'access-control-expose-headers': 'http.cors.expose-headers', 'x-content-type-options': 'http.headers' } },
      { name: 'allowlist: denied origin, GET', listener: 'secure', method: 'GET', path: '/robots.txt', origin: EVIL, step: 'route', status: 200, keys: { vary: 'http.cors.allowed-origins' } },
      { name: 'allowlist: 405 over TLS', listener: 'secure', method: 'DELETE', path: '/robots.txt', origin: APP, step: 'route', status: 405, keys: { 'access-control-allow-origin': 'http.cors.allowed-origins' } },
      { name: 'allowlist: redirect keeps the reflected origin', listener: 'web', method: 'GET', path: '/', origin: APP, step: 'hsts-redirect', status: 301, keys: { 'access-control-allow-origin': 'http.cors.allowed-origins' } },
    ],
  },
];

describe('parapet explain matches the live server', () => {
  let ca: Awaited<ReturnType<typeof createCa>>;
  let leaf: Awaited<ReturnType<typeof issueLeaf>>;
  const servers: TestServer[] = [];

  before(async () => {
    ca = await createCa();
    leaf = await issueLeaf(ca, [HOST]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  function live(s: TestServer, c: Case): Promise<RawResponse> {
    const port = s.port(c.listener);
    return rawRequest(s.url(c.listener), {
      method: c.method,
      path: c.path,
      headers: { host: `${HOST}:${port}`, ...(c.origin ? { origin: c.origin } : {}), ...c.headers },
      ca: ca.certPem,
      servername: HOST,
    });
  }

  function request(s: TestServer, c: Case): ExplainRequest {
    return {
      method: c.method,
      path: c.path,
      origin: c.origin,
      ip: '127.0.0.1',
      scheme: c.listener === 'secure' ? 'https' : 'http',
      host: `${HOST}:${s.port(c.listener)}`,
      headers: Object.entries(c.headers ?? {}),
      httpsPort: s.port('secure'),
    };
  }

  for (const setup of SETUPS) {
    describe(setup.name, () => {
      let s: TestServer;
      before(async () => {
        s = await startServer(`${listener('web')}${listener('secure', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}${setup.http}`);
        servers.push(s);
      });

      for (const c of setup.cases) {
        test(c.name, async () => {
          const res = await live(s, c);
          const loaded = loadConfig(readSource(s.configPath) as { name: string; text: string });
          assert.ok(loaded.ok);
          const e = explain(compilePolicy(loaded.settings), request(s, c));

          assert.equal(res.status, c.status, res.body);
          assert.equal(e.status, res.status);
          assert.equal(e.step, c.step);
          assert.deepEqual(
            e.headers.map((h) => [h.name, h.value]),
            withoutTransport(res.headers),
            'explain lists the headers the server sent, in order, with the same values',
          );
          if (c.method !== 'HEAD') assert.equal(e.body, res.body);
          for (const [name, key] of Object.entries(c.keys)) {
            const h = e.headers.find((x) => x.name === name);
            assert.ok(h, `${name} is in the explanation`);
            assert.equal(h.keys[0], key, `${name} comes from ${key}`);
          }
          for (const h of e.headers) assert.ok(h.why.length > 0, h.name);
        });
      }
    });
  }

  test('the CLI: exit 0 and the same answer as JSON; exit 1 on an invalid config; exit 2 on a usage error', async () => {
    const s = servers[1]!;
    const c = SETUPS[1]!.cases[0]!;
    const res = await live(s, c);
    const cli = (args: string[]) => spawnSync(process.execPath, [MAIN, 'explain', ...args], { encoding: 'utf8', timeout: 20_000 });
    const out = cli([
      '--config', s.configPath, '--origin', c.origin!, '--method', c.method, '--path', c.path, '--ip', '127.0.0.1', '--scheme', 'https',
      '--host', `${HOST}:${s.port('secure')}`, '--https-port', String(s.port('secure')),
      ...Object.entries(c.headers!).flatMap(([n, v]) => ['--header', `${n}: ${v}`]),
      '--json',
    ]);
    assert.equal(out.status, 0, out.stderr);
    const e = JSON.parse(out.stdout) as Explanation;
    assert.equal(e.status, 204);
    assert.equal(e.step, 'preflight');
    assert.deepEqual(e.preflight, { granted: true, reason: 'granted' });
    assert.deepEqual(e.headers.map((h) => [h.name, h.value]), withoutTransport(res.headers));
    assert.equal(e.headers.find((h) => h.name === 'access-control-allow-origin')?.keys[0], 'http.cors.allowed-origins');

    const text = cli(['--config', s.configPath, '--origin', EVIL, '--method', 'GET', '--path', '/robots.txt', '--scheme', 'https', '--host', HOST]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^\s+vary: Origin\s+← http\.cors\.allowed-origins/m);

    const bad = join(s.dir, 'bad.toml');
    writeFileSync(bad, `${listener('web')}[http]\npermissive-cors = true\ncors.allowed-origins = ["${APP}"]\n`);
    const invalid = cli(['--config', bad, '--path', '/']);
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /CFG_CORS_CONFLICT/);

    assert.equal(cli(['--path', '/']).status, 2);
    assert.equal(cli(['--config', s.configPath, '--scheme', 'gopher']).status, 2);
  });
});
