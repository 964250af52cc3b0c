import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Code } from '../errors.js';
import { loadConfig } from './load.js';
import { ROUTE_DEFAULTS } from './routes.js';

const LISTENER = '[server.listener.http]\nprotocol = "http"\nbind = "127.0.0.1:0"\n';
const DIR = mkdtempSync(join(tmpdir(), 'parapet-routes-'));
const load = (routes: string) => loadConfig({ name: 'test.toml', text: `${LISTENER}${routes}` }, { env: {}, readFile: () => { throw new Error('no files'); } });

describe('[http.route.<id>]', () => {
  test('a proxy and a static route with their defaults', () => {
    const r = load(`[http.route.mail]\npath = "/jmap/"\nupstream = "http://127.0.0.1:8080"\n[http.route.site]\npath = "/"\nstatic = "${DIR}"\nfallback = "index.html"\nhost = "WWW.Example.org."\n`);
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    const [mail, site] = r.settings.http.routes;
    assert.deepEqual({ ...mail, target: { ...mail!.target, upstream: String((mail!.target as { upstream: URL }).upstream) } }, {
      id: 'mail',
      path: '/jmap',
      host: undefined,
      target: { kind: 'proxy', upstream: 'http://127.0.0.1:8080/', ca: undefined, preserveHost: true, ...ROUTE_DEFAULTS },
    });
    assert.deepEqual(site, { id: 'site', path: '/', host: 'www.example.org', target: { kind: 'static', root: DIR, fallback: 'index.html' } });
  });

  test('timeouts and preserve-host are read', () => {
    const r = load('[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1"\npreserve-host = false\ntimeout.connect = "2s"\ntimeout.response = "5s"\ntimeout.idle = "1m"\n');
    assert.ok(r.ok);
    assert.deepEqual(r.settings.http.routes[0]!.target, { kind: 'proxy', upstream: new URL('http://127.0.0.1:1'), ca: undefined, preserveHost: false, connectTimeoutMs: 2000, responseTimeoutMs: 5000, idleTimeoutMs: 60_000 });
  });

  const refused: { name: string; toml: string; code: Code; key: string }[] = [
    { name: 'no path', toml: '[http.route.a]\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_PATH', key: 'http.route.a.path' },
    { name: 'a relative path', toml: '[http.route.a]\npath = "jmap"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_PATH', key: 'http.route.a.path' },
    { name: 'a dot segment', toml: '[http.route.a]\npath = "/a/../b"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_PATH', key: 'http.route.a.path' },
    { name: 'an empty segment', toml: '[http.route.a]\npath = "/a//b"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_PATH', key: 'http.route.a.path' },
    { name: 'a query', toml: '[http.route.a]\npath = "/a?x"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_PATH', key: 'http.route.a.path' },
    { name: '/api', toml: '[http.route.a]\npath = "/api"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_RESERVED', key: 'http.route.a.path' },
    { name: 'under /admin', toml: '[http.route.a]\npath = "/admin/x"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_RESERVED', key: 'http.route.a.path' },
    { name: '/healthz/', toml: '[http.route.a]\npath = "/healthz/"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_RESERVED', key: 'http.route.a.path' },
    { name: 'two routes on one path', toml: '[http.route.a]\npath = "/x"\nupstream = "http://127.0.0.1:1"\n[http.route.b]\npath = "/x/"\nupstream = "http://127.0.0.1:2"', code: 'CFG_ROUTE_DUPLICATE', key: 'http.route.b.path' },
    { name: 'a host with a port', toml: '[http.route.a]\npath = "/"\nhost = "a.example:443"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_HOST', key: 'http.route.a.host' },
    { name: 'a wildcard inside a host', toml: '[http.route.a]\npath = "/"\nhost = "a.*.example"\nupstream = "http://127.0.0.1:1"', code: 'CFG_ROUTE_HOST', key: 'http.route.a.host' },
    { name: 'neither upstream nor static', toml: '[http.route.a]\npath = "/a"', code: 'CFG_ROUTE_TARGET', key: 'http.route.a' },
    { name: 'both upstream and static', toml: `[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1"\nstatic = "${DIR}"`, code: 'CFG_ROUTE_TARGET', key: 'http.route.a' },
    { name: 'an upstream with a path', toml: '[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1/base"', code: 'CFG_ROUTE_UPSTREAM', key: 'http.route.a.upstream' },
    { name: 'an upstream with credentials', toml: '[http.route.a]\npath = "/a"\nupstream = "http://u:p@127.0.0.1:1"', code: 'CFG_ROUTE_UPSTREAM', key: 'http.route.a.upstream' },
    { name: 'a ws:// upstream', toml: '[http.route.a]\npath = "/a"\nupstream = "ws://127.0.0.1:1"', code: 'CFG_ROUTE_UPSTREAM', key: 'http.route.a.upstream' },
    { name: 'upstream-ca on an http upstream', toml: '[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1"\nupstream-ca = "x"', code: 'CFG_ROUTE_CA', key: 'http.route.a.upstream-ca' },
    { name: 'a CA that is not PEM', toml: '[http.route.a]\npath = "/a"\nupstream = "https://127.0.0.1:1"\nupstream-ca = "/etc/ssl/ca.pem"', code: 'CFG_ROUTE_CA', key: 'http.route.a.upstream-ca' },
    { name: 'a static directory that does not exist', toml: '[http.route.a]\npath = "/a"\nstatic = "/nonexistent/parapet/dir"', code: 'CFG_ROUTE_STATIC', key: 'http.route.a.static' },
    { name: 'a relative static directory', toml: '[http.route.a]\npath = "/a"\nstatic = "www"', code: 'CFG_ROUTE_STATIC', key: 'http.route.a.static' },
    { name: 'a fallback outside the directory', toml: `[http.route.a]\npath = "/a"\nstatic = "${DIR}"\nfallback = "../etc/passwd"`, code: 'CFG_ROUTE_STATIC', key: 'http.route.a.fallback' },
    { name: 'a bad timeout', toml: '[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1"\ntimeout.response = "soon"', code: 'CFG_INVALID_DURATION', key: 'http.route.a.timeout.response' },
  ];
  test('an unknown route key is a warning that suggests the known one', () => {
    const r = load('[http.route.a]\npath = "/a"\nupstream = "http://127.0.0.1:1"\ntimeout.conect = "1s"');
    assert.ok(r.ok);
    const d = r.diagnostics.find((x) => x.code === 'CFG_UNKNOWN_KEY');
    assert.equal(d?.key, 'http.route.a.timeout.conect');
    assert.match(d!.message, /http\.route\.a\.timeout\.connect/);
  });

  for (const c of refused) {
    test(`refused: ${c.name}, naming the key`, () => {
      const r = load(c.toml);
      assert.equal(r.ok, false);
      const d = r.diagnostics.find((x) => x.code === c.code);
      assert.ok(d, `expected ${c.code}, got ${r.diagnostics.map((x) => `${x.code} ${x.key}`).join(', ')}`);
      assert.equal(d.key, c.key);
      assert.equal(d.severity, 'error');
    });
  }
});
