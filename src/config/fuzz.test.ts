// Property tests of the config loader: no text (arbitrary, or TOML built from Parapet's and
// Stalwart's real keys with values of every TOML type and every macro) makes `loadConfig`
// throw or take long; it answers ok with settings a server can use, or not ok with coded,
// keyed diagnostics. Macros go through an injected environment, never the real files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { parse as parseTomlDocument } from 'smol-toml';
import { CODES, type Code } from '../errors.js';
import { TOKEN } from '../policy/headers/index.js';
import { applyAliases } from './aliases.js';
import { parseToml } from './flatten.js';
import { loadConfig, type LoadResult } from './load.js';
import { expandValue, type MacroEnvironment } from './macros.js';
import type { Settings } from './settings.js';
import { cpuTimed } from '../test-helpers/cpu-time.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

const NAME = 'fuzz.toml';
/** Each load, however hostile its text, answers within this (the texts here are at most ~40 KB). */
const BUDGET_MS = 250;
/** A real directory, so that `static = …` routes can load. */
const DIR = mkdtempSync(join(tmpdir(), 'parapet-config-fuzz-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const PRESENT_FILE = '/etc/parapet/present.txt';

const environment: MacroEnvironment = {
  env: { PRESENT: '192.0.2.1', BOOL: 'true', DUR: '30s', EMPTY: '', HOST: 'mail.example.org', CRLF: 'a\r\nSet-Cookie: x', PORT: '127.0.0.1:0' },
  readFile: (path) => {
    if (path === PRESENT_FILE) return 'from-file';
    if (path === '/raise') throw new TypeError('not an errno error');
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
};

// ---- what a result must look like ---------------------------------------------------------

/** Diagnostics that are about the whole file, not one key. */
const UNKEYED = new Set<Code>(['CFG_TOML_SYNTAX', 'CFG_IGNORED_SECTIONS']);
/** Diagnostics about a value that was read: their key is one the file sets (or a list's parent). */
const ABOUT_A_VALUE = new Set<Code>([
  'CFG_INVALID_BOOL', 'CFG_INVALID_INTEGER', 'CFG_INVALID_DURATION', 'CFG_INVALID_RATE', 'CFG_INVALID_URL', 'CFG_INVALID_CIDR', 'CFG_INVALID_LOG_LEVEL',
  'CFG_LISTENER_BIND', 'CFG_MACRO_ENV_MISSING', 'CFG_MACRO_FILE_MISSING', 'CFG_MACRO_UNKNOWN', 'CFG_SHELL_PLACEHOLDER', 'CFG_HEADER_SYNTAX', 'CFG_HEADER_NAME',
  'CFG_HEADER_VALUE', 'CFG_HEADER_FORBIDDEN', 'CFG_HEADER_MANAGED', 'CFG_CORS_ORIGIN', 'CFG_CORS_TOKEN', 'CFG_ROUTE_HOST', 'CFG_ROUTE_CA', 'CFG_CERT_BARE_PATH',
  'CFG_CERT_INVALID', 'CFG_CERT_KEY_INVALID', 'CFG_EXPRESSION_SYNTAX', 'CFG_ALIAS_CONFLICT', 'CFG_DEPRECATED_KEY', 'CFG_UNKNOWN_KEY', 'CFG_MISPLACED_KEY',
]);
/** What node's `writeHead` accepts in a field value: anything else throws on every response. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function flatKeys(text: string): Set<string> {
  const parsed = parseToml(text, NAME).flat;
  return new Set([...parsed.keys(), ...applyAliases(new Map(parsed)).flat.keys()]);
}

function timedLoad(text: string, overlay?: ReadonlyMap<string, string>): { r: LoadResult; ms: number } {
  const { result: r, ms } = cpuTimed(() => loadConfig({ name: NAME, text }, environment, overlay));
  return { r, ms };
}

function checkResult(text: string, r: LoadResult, ms: number, overlay: ReadonlyMap<string, string> = new Map()): void {
  const where = `for ${JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text)}`;
  assert.ok(ms < BUDGET_MS, `loadConfig took ${ms.toFixed(0)} ms ${where}`);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(r.ok, errors.length === 0, `ok is ${r.ok} with ${errors.length} errors ${where}`);
  const keys = new Set([...flatKeys(text), ...overlay.keys()]);
  for (const d of r.diagnostics) {
    assert.ok(Object.hasOwn(CODES, d.code), `unknown code ${d.code}`);
    assert.equal(d.severity, CODES[d.code][0], `${d.code} has the severity its code declares`);
    assert.ok(d.message.trim().length > 0, `${d.code} has a message ${where}`);
    if (UNKEYED.has(d.code)) {
      assert.equal(d.key, undefined, `${d.code} is about the file`);
    } else {
      assert.ok(typeof d.key === 'string' && d.key.length > 0, `${d.code} names a key ${where}`);
    }
    if (d.code === 'CFG_TOML_SYNTAX') assert.match(d.message, /^fuzz\.toml:\d+:\d+: \S/, 'a syntax error gives file:line:column');
    if (ABOUT_A_VALUE.has(d.code)) {
      const key = d.key!;
      assert.ok([...keys].some((k) => k === key || k.startsWith(`${key}.`)), `${d.code} names \`${key}\`, which the file does not set ${where}`);
    }
  }
  // `%{file:…}%` is the only way a file is read, and only through the environment.
  const values = [...parseToml(text, NAME).flat.values(), ...overlay.values()];
  for (const f of r.files) assert.ok(values.some((v) => v.includes(`%{file:${f}}%`)), `read ${f}, which no macro names`);
  if (r.ok) checkSettings(r.settings, where);
}

const isMs = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** What the server does with settings it was handed as valid: nothing here may be unusable. */
function checkSettings(s: Settings, where: string): void {
  assert.ok(s.listeners.length > 0, `ok without a listener ${where}`);
  for (const l of s.listeners) {
    assert.ok(l.binds.length > 0, `listener ${l.id} without a bind ${where}`);
    for (const b of l.binds) assert.ok(b.host.length > 0 && Number.isInteger(b.port) && b.port >= 0 && b.port <= 65_535, `${l.id}: ${JSON.stringify(b)}`);
  }
  const { limits, hsts, cors } = s.http;
  for (const [name, v] of Object.entries({ ...limits, shutdown: s.server.shutdownTimeoutMs, ban: s.admin.authBanMs, token: s.admin.tokenTtlMs })) {
    assert.ok(isMs(v), `${name} = ${v} is not a whole number of milliseconds/bytes ${where}`);
  }
  assert.ok(limits.maxHeaderBytes >= 1_024 && limits.maxHeaderBytes <= 1_048_576);
  assert.ok(limits.maxUriBytes >= 256 && limits.maxUriBytes <= 1_048_576);
  // Sent as `max-age=<n>` (HSTS) and `Access-Control-Max-Age: <n>`: delta-seconds, digits only.
  assert.match(`${hsts.maxAgeSeconds}`, /^\d+$/, `HSTS max-age=${hsts.maxAgeSeconds} ${where}`);
  assert.match(`${cors.maxAgeSeconds}`, /^\d+$/, `CORS max-age ${cors.maxAgeSeconds} ${where}`);
  for (const rate of [s.access.rateLimit.anonymous, s.access.rateLimit.account, s.admin.authBanRate]) {
    assert.ok(Number.isSafeInteger(rate.requests) && rate.requests > 0 && Number.isSafeInteger(rate.periodMs) && rate.periodMs > 0, `rate ${JSON.stringify(rate)} ${where}`);
  }
  for (const [name, value] of s.http.headers) {
    assert.match(name, TOKEN, `header name ${JSON.stringify(name)} ${where}`);
    assert.equal(name, name.toLowerCase());
    assert.match(value, FIELD_VALUE, `http.headers value ${JSON.stringify(value)} cannot be sent ${where}`);
  }
  for (const t of [...(cors.allowedMethods ?? []), ...(cors.allowedHeaders ?? []), ...cors.exposeHeaders]) assert.ok(t === '*' || TOKEN.test(t), t);
  if (cors.allowCredentials) assert.equal(cors.mode, 'allowlist');
  if (s.http.url) assert.ok(s.http.url.protocol === 'http:' || s.http.url.protocol === 'https:');
  assert.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(s.server.logLevel));
  for (const route of s.http.routes) {
    assert.ok(route.path.startsWith('/') && (route.path === '/' || !route.path.endsWith('/')), `route path ${route.path}`);
    if (route.target.kind === 'proxy') {
      const t = route.target;
      assert.ok(t.upstream.protocol === 'http:' || t.upstream.protocol === 'https:');
      for (const v of [t.connectTimeoutMs, t.responseTimeoutMs, t.idleTimeoutMs]) assert.ok(isMs(v), `route timeout ${v} ${where}`);
    } else {
      assert.ok(route.target.root.startsWith('/'));
    }
  }
}

// ---- generators ---------------------------------------------------------------------------

const ID = fc.constantFrom('http', 'https', 'a', 'web', 'smtp', 'x.y', '0', 'UPPER', 'é', '');
const SECTIONS: fc.Arbitrary<string[]>[] = [
  fc.constant(['http']),
  fc.constant(['server']),
  fc.constant(['server', 'http']),
  ID.map((id) => ['server', 'listener', id]),
  ID.map((id) => ['http', 'route', id]),
  ID.map((id) => ['certificate', id]),
  fc.constant(['authentication', 'fallback-admin']),
  fc.constant(['server', 'security']),
  fc.constant(['store', 'db']),
];
const KEYS_IN: Record<string, string[]> = {
  http: [
    'hsts', 'hsts-max-age', 'hsts-include-subdomains', 'hsts-preload', 'hsts-redirect', 'permissive-cors', 'cors.allowed-origins', 'cors.allow-credentials',
    'cors.allowed-methods', 'cors.allowed-headers', 'cors.expose-headers', 'cors.max-age', 'url', 'headers', 'use-x-forwarded', 'trusted-proxies',
    'allowed-endpoint', 'allowed-endpoint.0.if', 'allowed-endpoint.0.then', 'allowed-endpoint.1.else', 'rate-limit.anonymous', 'rate-limit.account',
    'timeout.headers', 'timeout.request', 'timeout.keep-alive', 'limits.header-size', 'limits.uri-size', 'htsts', 'cors', 'headers.0', 'headers.1',
  ],
  server: ['hostname', 'data-dir', 'log-level', 'shutdown-timeout', 'store-path', 'auto-ban.auth.rate', 'auto-ban.auth.duration', 'blocked-ip."10.0.0.0/8"', 'allowed-ip."::1"', 'blocked-ip.x'],
  listener: ['bind', 'bind.0', 'bind.1', 'protocol', 'tls.implicit', 'tls', 'max-connections', 'socket.backlog', 'proxy.trusted-networks', 'max-conections'],
  route: ['path', 'host', 'upstream', 'static', 'fallback', 'preserve-host', 'upstream-ca', 'timeout.connect', 'timeout.response', 'timeout.idle'],
  certificate: ['cert', 'private-key', 'default', 'subjects'],
  authentication: ['user', 'secret', 'token.lifetime'],
  other: ['path', 'type', 'level', 'x'],
};
function keysFor(section: readonly string[]): string[] {
  if (section[0] === 'http' && section[1] === 'route') return KEYS_IN.route!;
  if (section[1] === 'listener') return KEYS_IN.listener!;
  if (section[0] === 'certificate') return KEYS_IN.certificate!;
  if (section[0] === 'authentication') return KEYS_IN.authentication!;
  if (section[0] === 'http' || section[1] === 'http') return KEYS_IN.http!;
  if (section[0] === 'server' && section.length === 1) return KEYS_IN.server!;
  return KEYS_IN.other!;
}

/** A key segment as TOML writes it: bare when it can be, quoted otherwise. */
const segment = (s: string) => (/^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s));
const dotted = (parts: readonly string[]) => parts.map(segment).join('.');

const STRINGS = [
  '', 'true', 'false', 'TRUE', 'yes', '0', '-1', '1', '65536', '30s', '5m', '1h', '365d', '250ms', '9007199254740991', '9007199254740991d', '99999999999999999999999',
  '100/1m', '0/1m', '1/0', '10/', 'soon', '0.0.0.0:8080', '[::]:443', '127.0.0.1:0', '127.0.0.1:0', 'localhost:80', '0.0.0.0', '[::1]', '1.2.3.4:99999', 'http', 'HTTP',
  'jmap', 'smtp', 'https://mail.example.org', 'http://127.0.0.1:8080', 'https://a.example/path', 'ftp://x', 'https://*.example.org', 'null', '*', 'GET, PUT',
  'X-Frame-Options: DENY', 'Content-Length: 5', 'Strict-Transport-Security: max-age=1', 'Bad Name: x', 'X-A', 'X-Ctl: a\u0001b', 'X-Del: \u007f', 'X-Euro: €',
  'X-Latin: café', 'X-Tab: a\tb', 'X-Crlf: a\r\nb', '10.0.0.0/8', '::1', 'fe80::1%eth0', '10.0.0.0/33', '::ffff:1.2.3.4', '/', '/jmap', '/jmap/', '/api', '/a/../b',
  'mail.example.org', '*.example.org', 'WWW.Example.org.', '-bad-.x', DIR, `${DIR}/`, '/nonexistent/dir', 'relative/dir', 'index.html', '../x', 'debug', 'loud',
  "starts_with(url_path, '/api')", "starts_with(url_path, '/api'", 'strats_with(url_path)', "protocol + '://' + config_get('server.hostname')", '403',
  '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', '/etc/ssl/cert.pem',
  '%{env:PRESENT}%', '%{env:MISSING}%', '%{env:BOOL}%', '%{env:DUR}%', '%{env:EMPTY}%', '%{env:CRLF}%', '%{env:PORT}%', '%{env:HOST}%',
  '%{file:/nonexistent}%', `%{file:${PRESENT_FILE}}%`, '%{file:/raise}%', '%{file:}%', '%{nope:x}%', '%{env:}%', '%{env:PRESENT', 'x%{env:HOST}%y%{file:/nonexistent}%',
  '$HOME', '${PUBLIC_HOST}', '\\$ESCAPED', 'https://%{env:HOST}%', '%{env:PRESENT}%/8',
];
const strings = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('%', '{', '}', ':', 'e', 'n', 'v', 'f', 'i', 'l', '/', '$', 'A', '1', ' ', '\\', '"', "'", '\n'), maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...STRINGS), fc.constantFrom(...STRINGS)).map(([a, b]) => `${a}${b}`) },
);

/** A value as TOML text, of every TOML type. */
const validScalar = fc.oneof(
  { weight: 12, arbitrary: strings.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: strings.filter((s) => !/['\x00-\x08\x0a-\x1f\x7f]/.test(s)).map((s) => `'${s}'`) },
  { weight: 1, arbitrary: strings.map((s) => `"""\n${JSON.stringify(s).slice(1, -1)}"""`) },
  { weight: 1, arbitrary: strings.filter((s) => !/'''|[\x00-\x08\x0b-\x1f\x7f]/.test(s) && !s.endsWith("'")).map((s) => `'''${s}'''`) },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.integer().map(String), fc.constantFrom('0', '-0', '+7', '1_000', '0xDEAD_beef', '0o17', '0b101', '9223372036854775807', '-9223372036854775808')),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '-0.0' : /[.e]/.test(String(d)) ? String(d) : `${d}.0`)),
      fc.constantFrom('1.5', '-0.0', '1e400', '6.02e23', 'inf', '-inf', '+nan'),
    ),
  },
  { weight: 1, arbitrary: fc.boolean().map(String) },
  { weight: 1, arbitrary: fc.constantFrom('1979-05-27T07:32:00Z', '1979-05-27T00:32:00.999999-07:00', '1979-05-27 07:32:00', '1979-05-27', '07:32:00', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+14:00') },
);
/** Invalid TOML, now and then: it must come back as CFG_TOML_SYNTAX, not as a throw. */
const invalidScalar = fc.oneof(
  fc.constantFrom('True', 'yes', '1__0', '01', '1.', '.5', '1979-02-30', '2024-13-01', '1979-05-27T25:00:00', '07:32', '99999999999999999999', '"unterminated', "'", '"""', '[1,', '{a=1', ''),
  fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '=', ',', '"', "'", '#', '.', 'a', '1', ' ', '\\'), maxLength: 12 }),
);
const scalarText = fc.oneof({ weight: 40, arbitrary: validScalar }, { weight: 1, arbitrary: invalidScalar });
const valueText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 8, arbitrary: scalarText },
    { weight: 2, arbitrary: fc.array(tie('v'), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`) },
    {
      weight: 1,
      arbitrary: fc
        .uniqueArray(fc.tuple(fc.constantFrom('if', 'then', 'else', 'a', 'b.c', '"q q"'), tie('v')), { maxLength: 3, selector: ([k]) => k })
        .map((pairs) => `{ ${pairs.map(([k, v]) => `${k} = ${v}`).join(', ')} }`),
    },
  ),
})).v;

/** Values of the type each key takes, near misses and edge cases included. */
const TYPED: [RegExp, string[]][] = [
  [/^(hsts|hsts-include-subdomains|hsts-preload|hsts-redirect|permissive-cors|cors\.allow-credentials|use-x-forwarded|tls\.implicit|tls|preserve-host|default)$/, ['true', 'false', ' TRUE ', 'yes', '%{env:BOOL}%', '%{env:MISSING}%']],
  [/max-age$/, ['0', '86399', '31536000', '365d', '1h', '30s', ' 5 ', '99999999999999999999999', '9007199254740993', '9007199254740991', '1e3', '-1', '1.5', '9007199254740991s']],
  [/timeout|duration|lifetime/, ['30s', '5m', '0', '1d', '25d', '250ms', '1 s', '9007199254740991', '9007199254740991d', '104249991375d', '%{env:DUR}%', '-5s', '5 m ', '1e3']],
  [/rate/, ['100/1m', '1/1ms', '10 / 5s', '9007199254740991/9007199254740991d', '0/1m', '10/0', '10/', '/1m', '-1/1m']],
  [/^limits\.|max-connections/, ['1024', '1048576', '16384', '256', '1023', '1048577', '-1', '0x10', ' 2048 ', '0', '10000001']],
  [/^headers/, ['X-Frame-Options: DENY', 'X-Ctl: a\u0001b', 'X-Del: a\u007fb', 'X-Euro: 5€', 'X-Latin: café', 'X-Tab: a\tb', 'X-Crlf: a\r\nb', 'X-Nul: a\u0000b', 'X-Vt: a\u000bb', 'X-Empty:', 'X-Env: %{env:CRLF}%', `X-File: %{file:${PRESENT_FILE}}%`, 'X-Emoji: 😀', 'X-Bom: \ufeffx', 'Content-Type: text/html', 'Access-Control-Allow-Origin: *', 'Bad Name: x', ': x', 'X-A']],
  [/trusted-proxies|blocked-ip|allowed-ip/, ['10.0.0.0/8', '::1', '2001:db8::/32', 'fe80::1%eth0', '::ffff:1.2.3.4', '10.0.0.0/33', '1.2.3.4/', '/8', '0.0.0.0/0', '10.0.0.1/08', 'x', '%{env:PRESENT}%']],
  [/^url$/, ['https://mail.example.org', 'http://127.0.0.1:8080/', 'ftp://x', 'https://', "protocol + '://' + config_get('server.hostname')", "'https://' + ", 'https://%{env:HOST}%', ' ']],
  [/allowed-origins/, ['https://app.example.com', 'https://*.example.org', 'http://localhost:5173', 'null', '*', 'https://a.example/path', 'https://[::1]:8443', 'https://*.', 'HTTPS://App.Example.com:443']],
  [/allowed-methods|allowed-headers|expose-headers/, ['GET, PUT', '*', 'Authorization', 'X Bad', 'PROPFIND,,DELETE', '', 'é']],
  [/log-level/, ['trace', 'debug', 'info', 'warn', 'error', 'loud', 'INFO']],
  [/^bind/, ['0.0.0.0:8080', '[::]:443', '127.0.0.1:0', 'localhost:80', '0.0.0.0', '[::1]', '1.2.3.4:99999', '[zz]:1', ' 127.0.0.1:8081 ', '%{env:PORT}%']],
  [/protocol/, ['http', 'HTTP', 'smtp', 'jmap', 'imap', '']],
  [/^path$/, ['/', '/jmap', '/jmap/', '/api', '/api/x', '/healthz', '/a/../b', '/a//b', 'jmap', '/a%20b', '/é']],
  [/^host$/, ['mail.example.org', '*.example.org', 'WWW.Example.org.', '-bad-.x', 'a:80', '', 'é.example']],
  [/upstream$/, ['http://127.0.0.1:8080', 'https://[::1]:8443', 'http://u:p@h', 'http://h/path', 'ftp://h', 'http://h?q']],
  [/^static$/, [DIR, `${DIR}/`, '/nonexistent/dir', 'relative/dir', '/', `${DIR}\u0000`]],
  [/^fallback$/, ['index.html', '../x', '/abs', 'a//b', 'a\u0000b']],
  [/allowed-endpoint/, ["starts_with(url_path, '/api')", "starts_with(url_path, '/api'", 'strats_with(url_path)', '403', '200', "remote_ip == '10.0.0.1'"]],
  [/^(cert|private-key)$/, ['-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', '/etc/ssl/cert.pem', '%{file:/nonexistent}%', `%{file:${PRESENT_FILE}}%`, '%{file:/raise}%']],
];
const typedStrings = (key: string): string[] => TYPED.find(([re]) => re.test(key.replace(/"/g, '')))?.[1] ?? [];

/** A value for `key` as TOML text: mostly of the type the key takes (alone or in an array), else anything. */
function valueFor(key: string): fc.Arbitrary<string> {
  const typed = typedStrings(key);
  if (typed.length === 0) return valueText;
  const one = fc.constantFrom(...typed).map((s) => JSON.stringify(s));
  return fc.oneof(
    { weight: 6, arbitrary: one },
    { weight: 1, arbitrary: fc.array(one, { minLength: 1, maxLength: 3 }).map((a) => `[${a.join(', ')}]`) },
    { weight: 3, arbitrary: valueText },
  );
}

/** A section and one of its keys (relative to it), with a value for that key. */
const entry = fc
  // Weighted toward [http], where most typed keys are.
  .tuple(fc.oneof({ weight: 4, arbitrary: SECTIONS[0]! }, ...SECTIONS.slice(1)), fc.nat())
  .chain(([section, i]) => {
    const keys = keysFor(section);
    const key = keys[i % keys.length]!;
    return valueFor(key).map((value) => ({ section, key, value }));
  });

/** One line of a free-form document: a table header, an array-of-tables header, `key = value`, or junk. */
const line = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(...SECTIONS).map((s) => ({ kind: 'table' as const, section: s })) },
  { weight: 1, arbitrary: fc.constantFrom('[[server.listener]]', '[[http.route]]', '[http', '[]', '[http.]', '# a comment', '', 'key', '= 1', 'a = 1 = 2').map((text) => ({ kind: 'raw' as const, text })) },
  { weight: 10, arbitrary: fc.tuple(fc.nat(), valueText, fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(...SECTIONS) })).map(([i, value, absolute]) => ({ kind: 'pair' as const, i, value, absolute })) },
);
type Line = typeof line extends fc.Arbitrary<infer T> ? T : never;

const LISTENER = '[server.listener.http]\nprotocol = "http"\nbind = "127.0.0.1:0"\n';

/** Lines rendered against the current table, so keys fit their section; junk included. */
const freeForm = fc.record({ preamble: fc.boolean(), lines: fc.array(line, { maxLength: 14 }) }).map(({ preamble, lines }) => {
  let section: readonly string[] = [];
  const out: string[] = [];
  for (const l of lines as Line[]) {
    if (l.kind === 'table') {
      section = l.section;
      out.push(`[${dotted(section)}]`);
    } else if (l.kind === 'raw') {
      out.push(l.text);
    } else {
      // A key relative to the current table, or a whole dotted key written from the root.
      const base = l.absolute ?? section;
      const keys = keysFor(base);
      const key = keys[l.i % keys.length]!;
      const rendered = key.split('.').map((p) => (p.startsWith('"') ? p : segment(p))).join('.');
      out.push(l.absolute ? (section.length === 0 ? `${dotted(base)}.${rendered} = ${l.value}` : `"${base.join('.')}.${key}" = ${l.value}`) : `${rendered} = ${l.value}`);
    }
  }
  return `${preamble ? LISTENER : ''}${out.join('\n')}\n`;
});

/** Mostly valid TOML: distinct tables, each with distinct keys of its own: what reaches the settings readers. */
const focused = fc
  .record({
    preamble: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    entries: fc.array(entry, { minLength: 1, maxLength: 8 }),
  })
  .map(({ preamble, entries }) => {
    const tables = new Map<string, string[]>();
    for (const { section, key, value } of entries) {
      const lines = tables.get(dotted(section)) ?? [];
      // A key and one of its own sub-keys clash in TOML (`headers` and `headers.0`); keep the first.
      if (lines.some((l) => { const u = l.slice(0, l.indexOf(' = ')); return u === key || u.startsWith(`${key}.`) || key.startsWith(`${u}.`); })) continue;
      tables.set(dotted(section), [...lines, `${key} = ${value}`]);
    }
    const body = [...tables].map(([header, lines]) => `[${header}]\n${lines.join('\n')}`).join('\n');
    return `${preamble ? LISTENER : ''}${body}\n`;
  });

/** What a table needs besides `key` to be valid: a listener its protocol and bind, a route its path and target… */
const COMPANIONS: [RegExp, Record<string, string>][] = [
  [/^server\.listener\./, { protocol: '"http"', bind: '"127.0.0.2:0"' }],
  [/^http\.route\./, { path: '"/r"', upstream: '"http://127.0.0.1:1"' }],
  [/^authentication\.fallback-admin$/, { user: '"admin"', secret: '"secret"' }],
];

/** A valid file (a listener, and the section's required keys) with `key = value` set in `section`. */
function fileWith(section: readonly string[], key: string, value: string): string {
  const companions = COMPANIONS.find(([re]) => re.test(section.join('.')))?.[1] ?? {};
  const head = key.split('.')[0]!;
  const others = Object.entries(companions).filter(([k]) => k !== head && !(head === 'static' && k === 'upstream'));
  const table = [`[${dotted(section)}]`, ...others.map(([k, v]) => `${k} = ${v}`), `${key} = ${value}`].join('\n');
  return section[1] === 'listener' && section[2] === 'http' ? `${table}\n` : `${LISTENER}${table}\n`;
}

/** A valid file with one key set: most of these load, so each value reaches the settings. */
const oneKey = entry.map(({ section, key, value }) => fileWith(section, key, value));

const document = fc.tuple(fc.oneof({ weight: 3, arbitrary: focused }, { weight: 3, arbitrary: oneKey }, { weight: 1, arbitrary: freeForm }), fc.boolean()).map(([text, crlf]) => (crlf ? text.replace(/\n/g, '\r\n') : text));

/** The management API's overlay: flat keys straight into the config, bypassing TOML. */
const overlay = fc
  .array(fc.tuple(fc.oneof(...SECTIONS).chain((s) => fc.constantFrom(...keysFor(s)).map((k) => `${s.join('.')}.${k.replace(/"/g, '')}`)), strings), { maxLength: 3 })
  .map((pairs) => new Map(pairs));

// ---- properties ---------------------------------------------------------------------------

describe('fuzz: loadConfig', () => {
  test('arbitrary text never throws: ok with settings, or coded diagnostics; fast', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '=', ',', '"', "'", '#', '.', '\n', '\r', ' ', 'a', 'http', 'server', 'listener', '1', '\\', '\0'), maxLength: 80 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const { r, ms } = timedLoad(t);
        checkResult(t, r, ms);
      }),
      { numRuns: 600 },
    );
  });

  test('TOML built from real keys, with values of every type and every macro, never throws; results are consistent and usable', () => {
    let loaded = 0;
    fc.assert(
      fc.property(document, fc.option(overlay, { nil: undefined }), (t, o) => {
        const { r, ms } = timedLoad(t, o);
        checkResult(t, r, ms, o);
        if (r.ok) loaded++;
        // The same input gives the same answer: nothing carries over between loads.
        assert.deepEqual(loadConfig({ name: NAME, text: t }, environment, o).diagnostics, r.diagnostics);
      }),
      { numRuns: 500 },
    );
    // The generator reaches the settings code, not only the TOML parser's error path.
    assert.ok(loaded > 20, `only ${loaded} documents loaded`);
  });

  test('every key with every value of its type, alone in an otherwise valid file (exhaustive)', () => {
    const sections = [['http'], ['server'], ['server', 'http'], ['server', 'listener', 'http'], ['http', 'route', 'r'], ['certificate', 'c'], ['authentication', 'fallback-admin']];
    let runs = 0;
    let loaded = 0;
    for (const section of sections) {
      for (const key of keysFor(section)) {
        for (const value of typedStrings(key)) {
          for (const literal of [JSON.stringify(value), `[${JSON.stringify(value)}]`]) {
            const t = fileWith(section, key, literal);
            const { r, ms } = timedLoad(t);
            checkResult(t, r, ms);
            runs++;
            if (r.ok) loaded++;
          }
        }
      }
    }
    assert.ok(runs > 500 && loaded > 100, `${runs} files, ${loaded} loaded`);
  });

  test('flattening: every scalar under its dotted path, in document order, as a plain recursive walk gives it', () => {
    const reference = (value: unknown, path: string, out: [string, string][]): void => {
      if (Array.isArray(value)) {
        if (path !== 'server.listener') value.forEach((v, i) => reference(v, `${path}.${String(i).padStart(4, '0')}`, out));
      } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
        for (const [k, v] of Object.entries(value)) reference(v, path ? `${path}.${k}` : k, out);
      } else {
        out.push([path, value instanceof Date ? value.toISOString() : String(value)]);
      }
    };
    fc.assert(
      fc.property(document, (t) => {
        let doc: unknown;
        try {
          doc = parseTomlDocument(t);
        } catch {
          return;
        }
        const expected: [string, string][] = [];
        reference(doc, '', expected);
        assert.deepEqual([...parseToml(t, NAME).flat], expected);
      }),
      { numRuns: 300 },
    );
  });

  test('macro expansion: the same expansions and reports as the regular expression it replaces, in linear time', () => {
    const ORIGINAL = /%\{([a-z]+):([^}]*)\}%/g;
    // Every variable and file "exists", and says which it is: the output shows what was expanded.
    const env = new Proxy({}, { get: (_t, name) => (typeof name === 'string' ? `<env ${name}>` : undefined) }) as NodeJS.ProcessEnv;
    const text = fc.string({ unit: fc.constantFrom('%', '{', '}', ':', '%{', '}%', 'env', 'file', 'nope', 'E', '/x', '$', '\\', ' '), maxLength: 40 });
    fc.assert(
      fc.property(text, (raw) => {
        const files: string[] = [];
        const reports: string[] = [];
        const got = expandValue(raw, { env, readFile: (p) => `<file ${p}>` }, (code) => reports.push(code), (p) => files.push(p));
        const expectedFiles: string[] = [];
        const expectedReports: string[] = [];
        const expected = !raw.includes('%{')
          ? raw
          : raw.replace(ORIGINAL, (_whole, kind: string, arg: string) => {
              if (kind === 'env') return `<env ${arg}>`;
              if (kind === 'file') {
                expectedFiles.push(arg);
                return `<file ${arg}>`;
              }
              expectedReports.push('CFG_MACRO_UNKNOWN');
              return '';
            });
        assert.equal(got, expected, JSON.stringify(raw));
        assert.deepEqual(files, expectedFiles);
        assert.deepEqual(reports.filter((c) => c !== 'CFG_SHELL_PLACEHOLDER'), expectedReports);
      }),
      { numRuns: 3000 },
    );
    for (const raw of ['%{env:'.repeat(50_000), `${'%{env:'.repeat(50_000)}}x}%`, `${'%{'.repeat(100_000)}`, `%{env:${'a'.repeat(300_000)}`]) {
      const { ms } = cpuTimed(() => expandValue(raw, environment, () => {}));
      assert.ok(ms < BUDGET_MS, `expandValue on ${raw.length} characters of ${JSON.stringify(raw.slice(0, 12))}…`);
    }
  });

  test('pathological sizes: long values, deep nesting, many keys, each loads within the budget', () => {
    const spaces = (k: number) => ' '.repeat(k);
    // Built inside the property from a small descriptor, so a counterexample prints short.
    const HOSTILE: ((k: number) => string)[] = [
      // Each typed key read through a regular expression, with a long run that almost matches.
      ...['timeout.headers', 'timeout.keep-alive', 'hsts-max-age', 'cors.max-age', 'rate-limit.anonymous', 'limits.header-size', 'hsts', 'url', 'trusted-proxies', 'headers'].flatMap((key) =>
        ['1', '10/', 'X-A:', '1.2.3.4'].map((head) => (k: number) => `${LISTENER}[http]\n${key} = "${head}${spaces(k)}x"\n`),
      ),
      (k) => `[server.listener.a]\nprotocol = "http"\nbind = "1${'1'.repeat(k)}:${spaces(k)}"\n`,
      (k) => `[server.listener.a]\nprotocol = "http"\nbind = "[${':'.repeat(k)}"\n`,
      // Macro syntax that never closes, or closes late.
      (k) => `${LISTENER}[http]\nurl = "${'%{env:'.repeat(Math.floor(k / 6))}"\n`,
      (k) => `${LISTENER}[http]\nhsts = "${'%{env:'.repeat(Math.floor(k / 6))}}x}%"\n`,
      (k) => `${LISTENER}[http]\nheaders = "X-A: ${'%{'.repeat(Math.floor(k / 2))}"\n`,
      (k) => `${LISTENER}[http]\nurl = "${'$A'.repeat(Math.floor(k / 2))}"\n`,
      (k) => `${LISTENER}[http]\nheaders = [${Array.from({ length: Math.floor(k / 20) }, (_, i) => `"X-${i}: ${i}"`).join(',')}]\n`,
      // Each unknown key costs a "did you mean" search (about 0.1 ms): a few hundred of them.
      (k) => `${LISTENER}[http]\n${Array.from({ length: Math.floor(k / 100) }, (_, i) => `unknown-key-${i} = ${i}`).join('\n')}\n`,
      (k) => `${LISTENER}[http]\nhtsts${'q'.repeat(Math.floor(k / 10))} = 1\n`,
      (k) => `a = ${'['.repeat(Math.floor(k / 10))}${']'.repeat(Math.floor(k / 10))}\n`,
      (k) => `a = ${'['.repeat(k)}\n`,
      (k) => `a = ${'{b='.repeat(Math.floor(k / 30))}1${'}'.repeat(Math.floor(k / 30))}\n`,
      (k) => `${'a.'.repeat(Math.floor(k / 4))}b = 1\n`,
      (k) => `${LISTENER}[http]\nallowed-endpoint = "${'('.repeat(Math.floor(k / 10))}1${')'.repeat(Math.floor(k / 10))}"\n`,
      (k) => `${LISTENER}[http]\nallowed-endpoint = "${"'a' + ".repeat(Math.floor(k / 6))}1"\n`,
      (k) => `x = """${'\\"'.repeat(Math.floor(k / 2))}"""\n`,
    ];
    fc.assert(
      fc.property(fc.nat(HOSTILE.length - 1), fc.integer({ min: 5_000, max: 40_000 }), (i, k) => {
        const t = HOSTILE[i]!(k);
        const { r, ms } = timedLoad(t);
        checkResult(t, r, ms);
      }),
      { numRuns: 150 },
    );
  });
});
