import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Code } from '../errors.js';
import { EMBEDDED_SOURCE, loadConfig, type LoadResult } from './load.js';
import type { MacroEnvironment } from './macros.js';

const env: MacroEnvironment = {
  env: { CERT_DIR: '/etc/certs', PUBLIC_HOST: 'mail.example.org' },
  readFile: (p) => {
    if (p === '/etc/certs/present.txt') return 'from-file';
    throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  },
};

const LISTENER = `
[server.listener.http]
protocol = "http"
bind = "127.0.0.1:0"
`;

const load = (text: string, name = 'test.toml'): LoadResult => loadConfig({ name, text }, env);
const codes = (r: LoadResult): Code[] => r.diagnostics.map((d) => d.code);
const find = (r: LoadResult, code: Code) => r.diagnostics.find((d) => d.code === code);

describe('bad configs are refused with a code naming the key', () => {
  const cases: { name: string; toml: string; code: Code; key?: string }[] = [
    { name: 'TOML syntax error', toml: '[http\nhsts = true', code: 'CFG_TOML_SYNTAX' },
    { name: 'bool that is not a bool', toml: `${LISTENER}[http]\nhsts = "yes"`, code: 'CFG_INVALID_BOOL', key: 'http.hsts' },
    { name: 'bad duration', toml: `${LISTENER}[http]\ntimeout.headers = "soon"`, code: 'CFG_INVALID_DURATION', key: 'http.timeout.headers' },
    { name: 'a timeout past what a timer can wait (24.8 days)', toml: `${LISTENER}[http]\ntimeout.request = "25d"`, code: 'CFG_INVALID_DURATION', key: 'http.timeout.request' },
    { name: 'a route timeout past what a timer can wait', toml: `${LISTENER}[http.route.up]\npath = "/up"\nupstream = "http://127.0.0.1:9"\ntimeout.idle = "2147483648"`, code: 'CFG_INVALID_DURATION', key: 'http.route.up.timeout.idle' },
    { name: 'listener array of tables', toml: '[[server.listener]]\nbind = "0.0.0.0:80"\nprotocol = "http"', code: 'CFG_LISTENER_ARRAY', key: 'server.listener' },
    { name: 'jmap protocol', toml: '[server.listener.jmap]\nbind = "0.0.0.0:80"\nprotocol = "jmap"', code: 'CFG_LISTENER_PROTOCOL', key: 'server.listener.jmap.protocol' },
    { name: 'bind without a port', toml: '[server.listener.web]\nbind = "0.0.0.0"\nprotocol = "http"', code: 'CFG_LISTENER_BIND', key: 'server.listener.web.bind' },
    {
      name: 'two listeners on one address',
      toml: '[server.listener.a]\nbind = "0.0.0.0:8080"\nprotocol = "http"\n[server.listener.b]\nbind = "0.0.0.0:8080"\nprotocol = "http"',
      code: 'CFG_LISTENER_DUPLICATE_BIND',
    },
    { name: 'certificate as a bare path', toml: `${LISTENER}[certificate.main]\ncert = "/etc/ssl/cert.pem"\nprivate-key = "/etc/ssl/key.pem"`, code: 'CFG_CERT_BARE_PATH', key: 'certificate.main.cert' },
    { name: 'certificate that is not PEM', toml: `${LISTENER}[certificate.main]\ncert = "-----BEGIN CERTIFICATE-----\\nnope\\n-----END CERTIFICATE-----"\nprivate-key = "x"`, code: 'CFG_CERT_INVALID' },
    { name: 'missing env variable', toml: `${LISTENER}[http]\nurl = "%{env:NOT_SET_ANYWHERE}%"`, code: 'CFG_MACRO_ENV_MISSING', key: 'http.url' },
    { name: 'missing file', toml: `${LISTENER}[certificate.main]\ncert = "%{file:/etc/certs/absent.pem}%"\nprivate-key = "%{file:/etc/certs/absent.key}%"`, code: 'CFG_MACRO_FILE_MISSING', key: 'certificate.main.cert' },
    { name: 'header name with a space', toml: `${LISTENER}[http]\nheaders = ["Bad Name: x"]`, code: 'CFG_HEADER_NAME', key: 'http.headers' },
    { name: 'header value with CRLF', toml: `${LISTENER}[http]\nheaders = ["X-Test: a\\r\\nSet-Cookie: b"]`, code: 'CFG_HEADER_VALUE', key: 'http.headers' },
    { name: 'header value with a control character node would refuse on every response', toml: `${LISTENER}[http]\nheaders = ["X-Test: a\\u000bb"]`, code: 'CFG_HEADER_VALUE', key: 'http.headers' },
    { name: 'header without colon', toml: `${LISTENER}[http]\nheaders = ["X-Test"]`, code: 'CFG_HEADER_SYNTAX', key: 'http.headers' },
    { name: 'server-owned header', toml: `${LISTENER}[http]\nheaders = ["Content-Length: 5"]`, code: 'CFG_HEADER_FORBIDDEN', key: 'http.headers' },
    { name: 'a per-response header', toml: `${LISTENER}[http]\nheaders = ["Content-Type: text/html"]`, code: 'CFG_HEADER_FORBIDDEN', key: 'http.headers' },
    { name: 'bad trusted proxy', toml: `${LISTENER}[http]\nuse-x-forwarded = true\ntrusted-proxies = ["10.0.0.0/33"]`, code: 'CFG_INVALID_CIDR', key: 'http.trusted-proxies' },
    { name: 'old and new key both set', toml: `${LISTENER}[server.http]\nhsts = true\n[http]\nhsts = false`, code: 'CFG_ALIAS_CONFLICT', key: 'server.http.hsts' },
    { name: 'no http listener', toml: '[server.listener.smtp]\nbind = "0.0.0.0:25"\nprotocol = "smtp"', code: 'CFG_NO_HTTP_LISTENER' },
    { name: 'preload without a year', toml: `${LISTENER}[http]\nhsts = true\nhsts-preload = true\nhsts-max-age = "30d"`, code: 'CFG_HSTS_PRELOAD', key: 'http.hsts-preload' },
    { name: 'permissive and allowlist', toml: `${LISTENER}[http]\npermissive-cors = true\ncors.allowed-origins = ["https://a.example"]`, code: 'CFG_CORS_CONFLICT' },
    { name: 'http.url not a URL', toml: `${LISTENER}[http]\nurl = "ftp://x"`, code: 'CFG_INVALID_URL', key: 'http.url' },
    { name: 'expression that does not compile', toml: `${LISTENER}[http]\nallowed-endpoint = [ { if = "starts_with(url_path, '/api'", then = "404" }, { else = "200" } ]`, code: 'CFG_EXPRESSION_SYNTAX', key: 'http.allowed-endpoint.0000.if' },
    { name: 'expression with an unknown function', toml: `${LISTENER}[http]\nallowed-endpoint = "strats_with(url_path, '/x')"`, code: 'CFG_EXPRESSION_SYNTAX', key: 'http.allowed-endpoint' },
    { name: 'unknown log level', toml: `${LISTENER}[server]\nlog-level = "loud"`, code: 'CFG_INVALID_LOG_LEVEL', key: 'server.log-level' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = load(c.toml);
      assert.equal(r.ok, false, `expected ${c.code}, got ${JSON.stringify(r.diagnostics)}`);
      const d = find(r, c.code);
      assert.ok(d, `expected ${c.code}, got ${codes(r).join(', ')}`);
      assert.equal(d.severity, 'error');
      if (c.key) assert.equal(d.key, c.key);
      assert.ok(d.message.length > 10);
    });
  }

  test('a TOML syntax error gives file:line:column', () => {
    const d = find(load('[http]\nhsts = true\nurl = \n', 'conf/parapet.toml'), 'CFG_TOML_SYNTAX')!;
    assert.match(d.message, /^conf\/parapet\.toml:3:\d+: /);
  });

  test('a bad value names the value given and what is expected', () => {
    const d = find(load(`${LISTENER}[http]\nhsts = "yes"`), 'CFG_INVALID_BOOL')!;
    assert.match(d.message, /`yes`/);
    assert.match(d.message, /`true` or `false`/);
  });

  test('all problems in a file are reported at once', () => {
    const r = load(`${LISTENER}[http]\nhsts = "maybe"\nuse-x-forwarded = 3\nheaders = ["Bad Name: x"]\ntimeout.headers = "x"\nhtsts = true`);
    for (const code of ['CFG_INVALID_BOOL', 'CFG_HEADER_NAME', 'CFG_INVALID_DURATION', 'CFG_UNKNOWN_KEY'] as Code[]) {
      assert.ok(codes(r).includes(code), `${code} missing from ${codes(r).join(', ')}`);
    }
    assert.equal(r.diagnostics.filter((d) => d.code === 'CFG_INVALID_BOOL').length, 2);
  });
});

describe('warnings leave the file loadable', () => {
  test('unknown key under a known section suggests the closest known key', () => {
    const r = load(`${LISTENER}[http]\npermisive-cors = true`);
    assert.equal(r.ok, true);
    const d = find(r, 'CFG_UNKNOWN_KEY')!;
    assert.equal(d.key, 'http.permisive-cors');
    assert.match(d.message, /http\.permissive-cors/);
  });

  test('unknown listener key suggests the listener key', () => {
    const r = load(`${LISTENER}max-conections = 10\n`);
    assert.match(find(r, 'CFG_UNKNOWN_KEY')!.message, /server\.listener\.http\.max-connections/);
  });

  test('server.http.* is honoured under its new name, with a warning naming it', () => {
    const r = load(`${LISTENER}[server.http]\nhsts = true\npermissive-cors = true\nheaders = ["X-A: 1", "X-B: 2"]`);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.settings.http.hsts.enabled, true);
    assert.equal(r.settings.http.cors.mode, 'permissive');
    assert.deepEqual(r.settings.http.headers, [['x-a', '1'], ['x-b', '2']]);
    const deprecated = r.diagnostics.filter((d) => d.code === 'CFG_DEPRECATED_KEY');
    assert.deepEqual(deprecated.map((d) => d.key).sort(), ['server.http.headers', 'server.http.hsts', 'server.http.permissive-cors']);
    assert.match(deprecated.find((d) => d.key === 'server.http.hsts')!.message, /`http\.hsts`/);
  });

  test('tls = true on a listener warns and keeps Stalwart semantics (plain)', () => {
    const r = load('[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:0"\ntls = true');
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.ok(find(r, 'CFG_LISTENER_TLS_FLAG'));
    assert.equal(r.settings.listeners[0]!.tls, false);
  });

  test('$VAR placeholders warn and point at %{env:…}%', () => {
    const r = load(`${LISTENER}[http]\nurl = "https://$PUBLIC_HOST"`);
    const d = find(r, 'CFG_SHELL_PLACEHOLDER')!;
    assert.equal(d.key, 'http.url');
    assert.match(d.message, /%\{env:PUBLIC_HOST\}%/);
  });

  test('server.security.allowed-ip points at server.allowed-ip.<ip>', () => {
    const r = load(`${LISTENER}[server.security]\nallowed-ip = ["10.0.0.1"]`);
    assert.equal(r.ok, true);
    assert.match(find(r, 'CFG_MISPLACED_KEY')!.message, /server\.allowed-ip\.<ip>/);
  });

  test('use-x-forwarded without trusted proxies warns that it is spoofable', () => {
    assert.ok(find(load(`${LISTENER}[http]\nuse-x-forwarded = true`), 'CFG_FORWARDED_UNTRUSTED'));
    assert.equal(find(load(`${LISTENER}[http]\nuse-x-forwarded = true\ntrusted-proxies = ["127.0.0.1"]`), 'CFG_FORWARDED_UNTRUSTED'), undefined);
  });

  test('a header HSTS or CORS manages is dropped with a warning', () => {
    const r = load(`${LISTENER}[http]\nheaders = ["Strict-Transport-Security: max-age=1", "X-Ok: yes"]`);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.ok(find(r, 'CFG_HEADER_MANAGED'));
    assert.deepEqual(r.settings.http.headers, [['x-ok', 'yes']]);
  });
});

describe('values', () => {
  test('macros expand env and file values', () => {
    const r = load(`${LISTENER}[http]\nurl = "https://%{env:PUBLIC_HOST}%"\nheaders = ["X-From-File: %{file:/etc/certs/present.txt}%"]`);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.settings.http.url?.host, 'mail.example.org');
    assert.deepEqual(r.settings.http.headers, [['x-from-file', 'from-file']]);
  });

  test('durations: units and bare milliseconds', () => {
    const r = load(`${LISTENER}[http]\ntimeout.headers = "5s"\ntimeout.request = 1500\ntimeout.keep-alive = "1m"\n[server]\nshutdown-timeout = "1h"`);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.settings.http.limits.headersTimeoutMs, 5000);
    assert.equal(r.settings.http.limits.requestTimeoutMs, 1500);
    assert.equal(r.settings.http.limits.keepAliveTimeoutMs, 60_000);
    assert.equal(r.settings.server.shutdownTimeoutMs, 3_600_000);
  });

  test('lists: TOML arrays, index keys and single strings read alike', () => {
    const asArray = load(`${LISTENER}[http]\nuse-x-forwarded = true\ntrusted-proxies = ["10.0.0.0/8", "::1"]`);
    const asIndex = load(`${LISTENER}[http]\nuse-x-forwarded = true\ntrusted-proxies.0 = "10.0.0.0/8"\ntrusted-proxies.1 = "::1"`);
    assert.ok(asArray.ok && asIndex.ok);
    if (!asArray.ok || !asIndex.ok) return;
    assert.deepEqual(asArray.settings.http.forwarded.trustedProxies, asIndex.settings.http.forwarded.trustedProxies);
    assert.equal(asArray.settings.http.forwarded.trustedProxies?.length, 2);
  });

  test('listener bind as a string or an array, IPv4 and IPv6', () => {
    const r = load('[server.listener.web]\nprotocol = "http"\nbind = ["127.0.0.1:8080", "[::1]:8080"]\nmax-connections = 100\n[server.listener.tls]\nprotocol = "http"\nbind = "[::]:8443"\ntls.implicit = true');
    assert.equal(r.ok, true);
    if (!r.ok) return;
    const [tls, web] = r.settings.listeners;
    assert.deepEqual(web!.binds, [{ host: '127.0.0.1', port: 8080 }, { host: '::1', port: 8080 }]);
    assert.equal(web!.maxConnections, 100);
    assert.deepEqual(tls!.binds, [{ host: '::', port: 8443 }]);
    assert.equal(tls!.tls, true);
  });
});

describe('real files', () => {
  test('the embedded default: plain HTTP on 8080, HTTPS on 8443', () => {
    const r = loadConfig(EMBEDDED_SOURCE, env);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.deepEqual(
      r.settings.listeners.map((l) => [l.binds[0]!.port, l.tls]),
      [[8080, false], [8443, true]],
    );
    assert.equal(r.diagnostics.filter((d) => d.severity !== 'info').length, 0, JSON.stringify(r.diagnostics));
  });

  test('a config file Stalwart ships loads; non-HTTP parts are one info line', () => {
    const text = readFileSync(new URL('../../../test/fixtures/stalwart-config.toml', import.meta.url), 'utf8');
    // Stalwart's file reads the admin secret from the environment, as Stalwart itself requires.
    const r = loadConfig({ name: 'config.toml', text }, { env: { ADMIN_SECRET: 'from-env' }, readFile: env.readFile });
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    if (!r.ok) return;
    assert.deepEqual(r.settings.listeners.map((l) => l.id).sort(), ['http', 'https']);
    const info = r.diagnostics.filter((d) => d.code === 'CFG_IGNORED_SECTIONS');
    assert.equal(info.length, 1);
    for (const s of ['store', 'storage', 'directory', 'tracer', 'server.listener.smtp (smtp)', 'server.listener.imap (imap)']) {
      assert.ok(info[0]!.message.includes(s), `${s} not listed in: ${info[0]!.message}`);
    }
    // Stalwart's stock file has an HTTPS listener and no certificate section.
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.code), ['CFG_TLS_SELF_SIGNED']);
  });

  test('TOML 1.1 as Stalwart docs write it: multi-line inline tables, no final newline', () => {
    const text = readFileSync(new URL('../../../test/fixtures/stalwart-http-section.toml', import.meta.url), 'utf8');
    assert.ok(!text.endsWith('\n'));
    const r = loadConfig({ name: 'http.toml', text }, env);
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    if (!r.ok) return;
    assert.equal(r.settings.http.hsts.enabled, true);
    assert.ok(r.settings.http.urlExpression, 'http.url compiled as an expression');
    assert.ok(r.settings.access.allowedEndpoint, 'allowed-endpoint compiled');
    // No listeners in the file: the default ones apply, whose HTTPS listener has no certificate.
    assert.deepEqual(r.diagnostics.filter((d) => d.severity !== 'info').map((d) => d.code), ['CFG_TLS_SELF_SIGNED']);
  });
});
