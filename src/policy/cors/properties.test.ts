// Properties of the CORS policy over arbitrary Origins, request headers and configs. The
// oracle for "allowed" is written against the WHATWG URL parser, not against origin.ts, so
// the two would have to be wrong the same way for a bad reflection to slip through.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../config/load.js';
import type { Settings } from '../../config/settings.js';
import { explain } from '../explain.js';
import { compilePolicy } from '../index.js';
import { compileCors, type CorsMode, type CorsSettings } from './index.js';
import { parseOriginEntry, type SubdomainPattern } from './origin.js';

const RUNS = Number(process.env.PARAPET_PROPERTY_RUNS ?? 2000);

// ---- generators ---------------------------------------------------------------------------

const ALLOWED_HOSTS = ['app.example.com', 'example.org', 'a.b.example.org', 'localhost', '127.0.0.1'];
const EXACT_ENTRIES = ['https://app.example.com', 'http://localhost:5173', 'https://a.b.example.org:8443', 'https://[::1]:8443', 'http://127.0.0.1:8080', 'HTTPS://App.Example.com:443'];
const PATTERN_ENTRIES = ['https://*.example.org', 'https://*.example.com', 'http://*.b.example.org:8080', 'https://*.Example.ORG:443'];

const label = fc.stringMatching(/^[a-z0-9-]{1,6}$/);
const host = fc.oneof(fc.constantFrom(...ALLOWED_HOSTS, 'evil.com', 'b.example.org', 'x.app.example.com'), fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')));
const port = fc.option(fc.constantFrom('80', '443', '0443', '5173', '8080', '8443', '65535', '65536', '', '99999'), { nil: undefined });

/** Shaped like what a browser sends: scheme://host[:port]. */
const browserOrigin = fc
  .record({ scheme: fc.constantFrom('http', 'https', 'HTTPS', 'ftp', 'tauri'), host, port })
  .map(({ scheme, host, port }) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}`);

const MUTATIONS: ((h: string) => string)[] = [
  (h) => `https://evil-${h}`,
  (h) => `https://${h}.evil.com`,
  (h) => `https://${h}evil.com`,
  (h) => `https://x${h}`,
  (h) => `https://${h.replace('.', '')}`,
  (h) => `https://${h.replace('.', '-')}`,
  (h) => `http://${h}`,
  (h) => `https://${h}:8444`,
  (h) => `https://${h}/`,
  (h) => `https://${h}/path`,
  (h) => `https://${h}.`,
  (h) => `https://.${h}`,
  (h) => `https://user@${h}`,
  (h) => `https://${h}@evil.com`,
  (h) => `https://evil.com#${h}`,
  (h) => `https://evil.com?${h}`,
  (h) => `https://${h}\r\nSet-Cookie: a=b`,
  (h) => `https://${h}\n`,
  (h) => `https://${h}\r`,
  (h) => `https://${h}\0`,
  (h) => ` https://${h}`,
  (h) => `https://${h} `,
  (h) => `https://${h.toUpperCase()}`,
  (h) => `https://${h.replace('e', 'е')}`, // Cyrillic e
  (h) => `https://${h.replace('a', 'ａ')}`, // full-width a
  (h) => `https://%2e${h}`,
  (h) => `https://*.${h}`,
  (h) => `//${h}`,
  (h) => h,
  () => 'null',
  () => 'NULL',
  () => '*',
  () => '',
];
/** Exactly as a browser serialises an origin: lower case, no default port, no leading zeros. */
const serialisedOrigin = fc
  .record({ scheme: fc.constantFrom('http', 'https'), host, port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }) })
  .map(({ scheme, host, port }) => `${scheme}://${host}${port === undefined || port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`}`);

const nearMiss = fc.tuple(fc.constantFrom(...ALLOWED_HOSTS), fc.nat(MUTATIONS.length - 1)).map(([h, i]) => MUTATIONS[i]!(h));

const ORIGIN_CHARS = ['h', 't', 'p', 's', ':', '/', '.', 'a', 'e', 'x', '*', '-', '[', ']', '1', '@', '\r', '\n', '\0', ' ', 'é', '\u2028'];
const origin = fc.oneof(
  { weight: 3, arbitrary: browserOrigin },
  { weight: 3, arbitrary: nearMiss },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ORIGIN_CHARS), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);
const maybeOrigin = fc.option(origin, { nil: undefined });

const HEADER_NAMES = ['authorization', 'content-type', 'X-Custom', 'depth', 'If-Match', 'x-a', 'x-b'];
const requestHeaders = fc.option(
  fc.oneof(
    fc.array(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string({ unit: fc.constantFrom('a', 'X', '-', ' ', ',', ';', '\r', '\n', '\0', ':', 'é'), maxLength: 10 })), { maxLength: 70 }).map((a) => a.join(', ')),
    fc.string({ unit: 'binary', maxLength: 80 }),
  ),
  { nil: undefined },
);
const requestMethod = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'patch', 'PROPFIND', 'OPTIONS', ''), fc.string({ unit: 'binary', maxLength: 12 }));

const corsConfig = fc
  .record({
    // Weighted toward the allowlist, where reflection can go wrong.
    mode: fc.oneof({ weight: 1, arbitrary: fc.constant<CorsMode>('off') }, { weight: 2, arbitrary: fc.constant<CorsMode>('permissive') }, { weight: 5, arbitrary: fc.constant<CorsMode>('allowlist') }),
    entries: fc.array(fc.oneof(fc.constantFrom(...EXACT_ENTRIES, ...PATTERN_ENTRIES), browserOrigin, nearMiss), { maxLength: 5 }),
    allowCredentials: fc.boolean(),
    allowedMethods: fc.option(fc.subarray(['GET', 'PUT', 'PROPFIND', 'DELETE', '*']), { nil: undefined }),
    allowedHeaders: fc.option(fc.subarray(['Authorization', 'Depth', 'X-Custom', '*']), { nil: undefined }),
    exposeHeaders: fc.subarray(['ETag', 'X-Total', '*']),
    maxAgeSeconds: fc.nat(1_000_000),
  })
  .map((c): { settings: CorsSettings; entries: string[] } => {
    const exactOrigins: string[] = [];
    const patterns: SubdomainPattern[] = [];
    const accepted: string[] = [];
    for (const e of c.entries) {
      const r = parseOriginEntry(e);
      if (!r.ok) continue;
      accepted.push(e);
      if (r.kind === 'exact') exactOrigins.push(r.origin);
      else patterns.push(r.pattern);
    }
    // allowCredentials is left as generated even where config loading would refuse it: the
    // engine must not pair it with `*` whatever it is handed.
    const { entries: _, ...rest } = c;
    return { settings: { ...rest, exactOrigins, patterns }, entries: accepted };
  });

// ---- the oracle ----------------------------------------------------------------------------

/** scheme://host[:port] per the WHATWG URL parser, or undefined when not an origin's shape. */
function urlOrigin(s: string): { scheme: string; host: string; hostname: string; port: string } | undefined {
  // An origin has no path, query, fragment, userinfo, whitespace or control characters.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[\x21-\x7e]+$/.test(s) || /[/?#@\\]/.test(s.slice(s.indexOf('://') + 3))) return undefined;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  // A browser's origin host is a DNS name or an IP literal, never `*` or `_`.
  if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(u.hostname)) return undefined;
  const scheme = u.protocol.slice(0, -1);
  const defaultPort = scheme === 'https' ? '443' : scheme === 'http' ? '80' : undefined;
  const port = u.port === defaultPort ? '' : u.port;
  return { scheme, host: `${u.hostname}${port ? `:${port}` : ''}`, hostname: u.hostname, port };
}

/** Whether a browser could send this Origin as it is: the URL parser would not rewrite it. */
function isCanonical(s: string): boolean {
  const o = urlOrigin(s);
  return o !== undefined && `${o.scheme}://${o.host}` === s;
}

function oracleAllows(originHeader: string, entries: readonly string[]): boolean {
  const o = urlOrigin(originHeader);
  if (!o) return false;
  for (const raw of entries) {
    const e = raw.trim();
    if (e.includes('://*.')) {
      const p = urlOrigin(e.replace('://*.', '://wildcard-label.'));
      if (!p) continue;
      const domain = p.hostname.slice('wildcard-label.'.length);
      if (p.scheme === o.scheme && p.port === o.port && o.hostname.endsWith(`.${domain}`) && o.hostname.length > domain.length + 1) return true;
    } else {
      const x = urlOrigin(e);
      if (x && x.scheme === o.scheme && x.host === o.host) return true;
    }
  }
  return false;
}

// ---- invariants over one header list --------------------------------------------------------

const pairsOf = (flat: readonly string[]): [string, string][] => {
  assert.equal(flat.length % 2, 0, 'a flat header list has an even length');
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What node:http accepts in a header value (and nothing that could split a response). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function checkHeaders(flat: readonly string[], s: CorsSettings, entries: readonly string[], originHeader: string | undefined, context: string): void {
  const pairs = pairsOf(flat);
  for (const [name, value] of pairs) {
    assert.match(name, TOKEN, `${context}: header name ${JSON.stringify(name)}`);
    assert.match(value, HEADER_VALUE, `${context}: ${name} value ${JSON.stringify(value)}`);
    assert.ok(!/[\r\n\0]/.test(value), `${context}: CR, LF or NUL in ${name}`);
  }
  const acao = pairs.filter(([n]) => n === 'access-control-allow-origin').map(([, v]) => v);
  const credentials = pairs.some(([n]) => n === 'access-control-allow-credentials');
  assert.ok(acao.length <= 1, `${context}: one Access-Control-Allow-Origin at most`);
  if (s.mode === 'off') assert.ok(!pairs.some(([n]) => n.startsWith('access-control-')), `${context}: CORS off sends no CORS header`);
  if (acao[0] === '*') {
    assert.equal(s.mode, 'permissive', `${context}: \`*\` only in permissive mode`);
    assert.ok(!credentials, `${context}: \`*\` with Access-Control-Allow-Credentials`);
  } else if (acao[0] !== undefined) {
    assert.equal(s.mode, 'allowlist', context);
    assert.equal(acao[0], originHeader, `${context}: the reflected origin is the request's, byte for byte`);
    assert.ok(oracleAllows(acao[0], entries), `${context}: reflected ${JSON.stringify(acao[0])}, which the allowlist ${JSON.stringify(entries)} does not allow`);
  }
  if (credentials) {
    assert.ok(s.mode === 'allowlist' && s.allowCredentials && acao.length === 1, `${context}: credentials without an allowlisted origin`);
  }
  if (s.mode === 'allowlist') {
    assert.ok(pairs.some(([n, v]) => n === 'vary' && v.split(',').map((x) => x.trim()).includes('Origin')), `${context}: allowlist answers vary on Origin`);
  }
}

// ---- properties ---------------------------------------------------------------------------

describe('CORS properties', () => {
  test('the oracle itself: allowed origins, near misses refused', () => {
    const entries = ['https://app.example.com', 'https://*.example.org'];
    assert.equal(oracleAllows('https://app.example.com', entries), true);
    assert.equal(oracleAllows('https://x.example.org', entries), true);
    for (const bad of ['https://example.org', 'https://evil-example.org', 'https://example.org.evil.com', 'https://app.example.com/', 'null', 'http://app.example.com']) {
      assert.equal(oracleAllows(bad, entries), false, bad);
    }
  });

  test('actual responses: never reflect an origin that is not allowed, never `*` with credentials, no CR/LF/NUL, no throw', () => {
    fc.assert(
      fc.property(corsConfig, maybeOrigin, ({ settings, entries }, o) => {
        const headers = compileCors(settings).actualHeaders(o);
        checkHeaders(headers, settings, entries, o, `actual ${JSON.stringify(o)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('preflights: the same, for any Access-Control-Request-Method and -Headers', () => {
    fc.assert(
      fc.property(corsConfig, origin, requestMethod, requestHeaders, ({ settings, entries }, o, m, h) => {
        const answer = compileCors(settings).preflight(o, m, h);
        checkHeaders(answer.headers, settings, entries, o, `preflight ${JSON.stringify(o)} ${JSON.stringify(m)} ${JSON.stringify(h)}`);
        if (!answer.granted) assert.ok(answer.reason.length > 0);
        if (answer.granted) assert.equal(answer.status, 204);
        const acao = pairsOf(answer.headers).find(([n]) => n === 'access-control-allow-origin');
        if (answer.status !== 204) assert.equal(acao, undefined, 'a refused origin gets no Access-Control-Allow-Origin');
      }),
      { numRuns: RUNS },
    );
  });

  test('origins a browser can send: the allowlist decides exactly as the URL-parser oracle does', () => {
    fc.assert(
      fc.property(corsConfig, fc.oneof(serialisedOrigin, nearMiss).filter(isCanonical), ({ settings, entries }, o) => {
        const allowlist = compileCors({ ...settings, mode: 'allowlist' });
        const reflected = pairsOf(allowlist.actualHeaders(o)).some(([n]) => n === 'access-control-allow-origin');
        assert.equal(reflected, oracleAllows(o, entries), `${o} against ${JSON.stringify(entries)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('the whole pipeline answer (decide, through explain) keeps the invariants', () => {
    const loaded = loadConfig({ name: 'p.toml', text: '[server.listener.a]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[server.listener.b]\nprotocol = "http"\nbind = "127.0.0.1:0"\ntls.implicit = true\n[http]\nhsts = true\nheaders = ["X-Frame-Options: DENY"]\n' });
    assert.ok(loaded.ok);
    const base: Settings = loaded.settings;
    const hostHeader = fc.option(fc.oneof(fc.constantFrom('mail.example.com', 'mail.example.com:8443', '127.0.0.1', 'localhost', '[::1]:1'), fc.string({ unit: 'binary-ascii', maxLength: 20 })), { nil: undefined });
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE');
    const path = fc.constantFrom('/', '/nope', '/robots.txt', '/healthz/live', '/healthz/ready', '/.well-known/acme-challenge/x', '/a?b=c');
    fc.assert(
      fc.property(corsConfig, maybeOrigin, method, path, fc.option(requestMethod, { nil: undefined }), requestHeaders, hostHeader, fc.constantFrom<'http' | 'https'>('http', 'https'), ({ settings, entries }, o, m, p, acrm, acrh, h, scheme) => {
        const policy = compilePolicy({ ...base, http: { ...base.http, cors: settings } });
        const headers: [string, string][] = [];
        if (acrm !== undefined) headers.push(['Access-Control-Request-Method', acrm]);
        if (acrh !== undefined) headers.push(['Access-Control-Request-Headers', acrh]);
        const e = explain(policy, { method: m, path: p, origin: o, ip: '192.0.2.1', scheme, host: h, headers });
        checkHeaders(e.headers.flatMap((x) => [x.name, x.value]), settings, entries, o, `${m} ${p} ${JSON.stringify(o)}`);
        assert.ok(e.status >= 200 && e.status < 600);
        for (const x of e.headers) assert.ok(x.why.length > 0);
      }),
      { numRuns: RUNS },
    );
  });

  test('configs as loaded from TOML: arbitrary allowed-origins entries never let a bad origin through', () => {
    const entryText = fc.oneof(fc.constantFrom(...EXACT_ENTRIES, ...PATTERN_ENTRIES), nearMiss, browserOrigin, fc.string({ unit: fc.constantFrom(...ORIGIN_CHARS), maxLength: 30 }));
    fc.assert(
      fc.property(fc.array(entryText, { minLength: 1, maxLength: 4 }), fc.boolean(), origin, (entries, credentials, o) => {
        const toml = `[server.listener.a]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[http]\ncors.allowed-origins = [${entries.map((e) => JSON.stringify(e)).join(', ')}]\ncors.allow-credentials = ${credentials}\n`;
        const loaded = loadConfig({ name: 'p.toml', text: toml });
        if (!loaded.ok) {
          assert.ok(loaded.diagnostics.some((d) => d.severity === 'error'));
          return;
        }
        const cors = loaded.settings.http.cors;
        assert.equal(cors.mode, 'allowlist');
        for (const x of cors.exactOrigins) assert.ok(x !== 'null' && !x.includes('*'), x);
        const compiled = compileCors(cors);
        checkHeaders(compiled.actualHeaders(o), cors, entries, o, `loaded ${JSON.stringify(entries)} actual ${JSON.stringify(o)}`);
        checkHeaders(compiled.preflight(o, 'PUT', 'authorization').headers, cors, entries, o, `loaded ${JSON.stringify(entries)} preflight ${JSON.stringify(o)}`);
      }),
      { numRuns: 500 },
    );
  });
});
