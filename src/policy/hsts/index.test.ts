import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHost, type HostFacts } from '../../net/host.js';
import {
  compileHsts,
  hostTakesHsts,
  hstsHeaderValue,
  isRedirectExempt,
  ONE_YEAR_SECONDS,
  preloadProblems,
  redirectDecision,
  type CompiledHsts,
  type HstsSettings,
} from './index.js';

const DEFAULTS: HstsSettings = { enabled: true, maxAgeSeconds: ONE_YEAR_SECONDS, includeSubDomains: true, preload: false, redirect: true };
const settings = (over: Partial<HstsSettings> = {}): HstsSettings => ({ ...DEFAULTS, ...over });

/** A host as the pipeline sees it; throws on a host the test meant to be well-formed. */
const host = (raw: string): HostFacts => {
  const h = parseHost(raw);
  assert.ok(h, `test host ${raw} should parse`);
  return h;
};

describe('hstsHeaderValue', () => {
  const cases: { name: string; s: HstsSettings; value: string }[] = [
    { name: "Stalwart's default", s: settings(), value: 'max-age=31536000; includeSubDomains' },
    { name: 'without subdomains', s: settings({ includeSubDomains: false }), value: 'max-age=31536000' },
    { name: 'with preload', s: settings({ preload: true }), value: 'max-age=31536000; includeSubDomains; preload' },
    { name: 'preload without subdomains (refused at load, still rendered faithfully)', s: settings({ includeSubDomains: false, preload: true }), value: 'max-age=31536000; preload' },
    { name: '30 days', s: settings({ maxAgeSeconds: 2_592_000 }), value: 'max-age=2592000; includeSubDomains' },
    // max-age=0 is how a site withdraws its policy (RFC 6797 §6.1.1); it must still be sent.
    { name: 'max-age 0 (withdrawal)', s: settings({ maxAgeSeconds: 0, includeSubDomains: false }), value: 'max-age=0' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = hstsHeaderValue(c.s);
      assert.equal(v, c.value);
      // RFC 6797 §6.1: directives separated by ";", no quotes, no trailing separator.
      assert.doesNotMatch(v, /;\s*$/);
      assert.doesNotMatch(v, /"/);
    });
  }
});

describe('preloadProblems (hstspreload.org rules)', () => {
  const cases: { name: string; s: HstsSettings; problems: number }[] = [
    { name: 'preload off: never a problem, even with a short max-age', s: settings({ preload: false, maxAgeSeconds: 60, includeSubDomains: false }), problems: 0 },
    { name: 'preload with one year and subdomains', s: settings({ preload: true }), problems: 0 },
    { name: 'preload with two years', s: settings({ preload: true, maxAgeSeconds: 2 * ONE_YEAR_SECONDS }), problems: 0 },
    { name: 'preload with 30 days', s: settings({ preload: true, maxAgeSeconds: 2_592_000 }), problems: 1 },
    { name: 'preload one second short of a year', s: settings({ preload: true, maxAgeSeconds: ONE_YEAR_SECONDS - 1 }), problems: 1 },
    { name: 'preload without subdomains', s: settings({ preload: true, includeSubDomains: false }), problems: 1 },
    { name: 'preload with both wrong', s: settings({ preload: true, includeSubDomains: false, maxAgeSeconds: 0 }), problems: 2 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const p = preloadProblems(c.s);
      assert.equal(p.length, c.problems, JSON.stringify(p));
      for (const message of p) assert.equal(typeof message, 'string');
    });
  }
});

describe('compileHsts', () => {
  test('on: the header value and the redirect', () => {
    const c = compileHsts(settings(), { fixedAuthority: undefined });
    assert.equal(c.value, 'max-age=31536000; includeSubDomains');
    assert.equal(c.redirect, true);
  });
  test('off: no header and no redirect, whatever the other keys say', () => {
    const c = compileHsts(settings({ enabled: false, redirect: true, preload: true }), { fixedAuthority: undefined });
    assert.equal(c.value, undefined);
    assert.equal(c.redirect, false);
  });
  test('on with the redirect turned off: the header, no redirect', () => {
    const c = compileHsts(settings({ redirect: false }), { fixedAuthority: undefined });
    assert.equal(c.value, 'max-age=31536000; includeSubDomains');
    assert.equal(c.redirect, false);
  });
});

describe('hostTakesHsts', () => {
  const cases: { raw: string | undefined; takes: boolean }[] = [
    { raw: 'mail.example.test', takes: true },
    { raw: 'mail.example.test:8443', takes: true },
    { raw: 'MAIL.Example.Test', takes: true },
    { raw: 'mail.example.test.', takes: true },
    { raw: 'example', takes: true },
    // Names that merely contain "localhost" are real names.
    { raw: 'localhost.example.com', takes: true },
    { raw: 'mylocalhost', takes: true },
    // IP literals: browsers ignore HSTS there (RFC 6797 §8.1).
    { raw: '127.0.0.1', takes: false },
    { raw: '127.0.0.1:8443', takes: false },
    { raw: '203.0.113.9', takes: false },
    { raw: '[::1]', takes: false },
    { raw: '[::1]:8443', takes: false },
    { raw: '[2001:db8::1]', takes: false },
    // localhost and its subdomains (RFC 6761 §6.3), with or without the trailing dot.
    { raw: 'localhost', takes: false },
    { raw: 'LOCALHOST', takes: false },
    { raw: 'localhost:3000', takes: false },
    { raw: 'localhost.', takes: false },
    { raw: 'foo.localhost', takes: false },
    { raw: 'foo.localhost.', takes: false },
    { raw: 'a.b.localhost:8443', takes: false },
    { raw: undefined, takes: false },
  ];
  for (const c of cases) {
    test(`${c.raw ?? '(no host)'} → ${c.takes ? 'header' : 'no header'}`, () => {
      assert.equal(hostTakesHsts(c.raw === undefined ? undefined : host(c.raw)), c.takes);
    });
  }
  test('a host object that claims to be an IP literal never takes it', () => {
    assert.equal(hostTakesHsts({ hostname: 'mail.example.test', port: undefined, isIpLiteral: true }), false);
  });
});

describe('isRedirectExempt', () => {
  const cases: { path: string; exempt: boolean }[] = [
    { path: '/.well-known/acme-challenge/x', exempt: true },
    { path: '/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0', exempt: true },
    { path: '/healthz/live', exempt: true },
    { path: '/healthz/ready', exempt: true },
    { path: '/', exempt: false },
    { path: '/admin/', exempt: false },
    { path: '/robots.txt', exempt: false },
    { path: '/.well-known/acme-challenge', exempt: false },
    { path: '/.well-known/security.txt', exempt: false },
    { path: '/healthz', exempt: false },
    { path: '/healthzz/live', exempt: false },
    { path: '/api/healthz/live', exempt: false },
    { path: '/x/.well-known/acme-challenge/x', exempt: false },
  ];
  for (const c of cases) {
    test(`${c.path} ${c.exempt ? 'is' : 'is not'} exempt`, () => assert.equal(isRedirectExempt(c.path), c.exempt));
  }
});

describe('redirectDecision', () => {
  const on = compileHsts(settings(), { fixedAuthority: undefined });
  const fixed = compileHsts(settings(), { fixedAuthority: 'mail.example.test' });
  const fixedWithPort = compileHsts(settings(), { fixedAuthority: 'mail.example.test:8443' });
  const noRedirect = compileHsts(settings({ redirect: false }), { fixedAuthority: undefined });
  const off = compileHsts(settings({ enabled: false }), { fixedAuthority: 'mail.example.test' });

  type Case = {
    name: string;
    hsts: CompiledHsts;
    port?: number;
    method?: string;
    url?: string;
    host: string | undefined;
    expect: { kind: 'none' } | { kind: 'bad-host' } | { kind: 'redirect'; status: 301 | 308; location: string };
  };
  const cases: Case[] = [
    { name: 'GET → 301', hsts: on, method: 'GET', host: 'mail.example.test', expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' } },
    { name: 'HEAD → 301', hsts: on, method: 'HEAD', host: 'mail.example.test', expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' } },
    { name: 'POST → 308', hsts: on, method: 'POST', host: 'mail.example.test', expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test/admin/' } },
    { name: 'PUT → 308', hsts: on, method: 'PUT', host: 'mail.example.test', expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test/admin/' } },
    { name: 'DELETE → 308', hsts: on, method: 'DELETE', host: 'mail.example.test', expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test/admin/' } },
    { name: 'OPTIONS → 308', hsts: on, method: 'OPTIONS', host: 'mail.example.test', expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test/admin/' } },
    { name: 'PATCH → 308', hsts: on, method: 'PATCH', host: 'mail.example.test', expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test/admin/' } },
    {
      name: 'path and query kept',
      hsts: on,
      url: '/api/x?a=1&b=%20two',
      host: 'mail.example.test',
      expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/api/x?a=1&b=%20two' },
    },
    { name: 'port 443 omitted', hsts: on, port: 443, host: 'mail.example.test:80', expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' } },
    {
      name: 'the HTTPS port, not the request port',
      hsts: on,
      port: 8443,
      host: 'mail.example.test:8080',
      expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test:8443/admin/' },
    },
    { name: 'IPv4 host', hsts: on, port: 8443, host: '127.0.0.1:8080', expect: { kind: 'redirect', status: 301, location: 'https://127.0.0.1:8443/admin/' } },
    { name: 'IPv6 host in brackets', hsts: on, port: 8443, host: '[::1]:8080', expect: { kind: 'redirect', status: 301, location: 'https://[::1]:8443/admin/' } },
    { name: 'IPv6 host in brackets, port 443', hsts: on, port: 443, host: '[2001:db8::1]', expect: { kind: 'redirect', status: 301, location: 'https://[2001:db8::1]/admin/' } },
    { name: 'host lower-cased', hsts: on, host: 'MAIL.Example.TEST', expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' } },
    {
      name: 'http.url wins over the request host and port',
      hsts: fixed,
      port: 8443,
      host: 'other.example.test:8080',
      expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' },
    },
    {
      name: 'http.url with its own port',
      hsts: fixedWithPort,
      port: 9443,
      method: 'POST',
      host: 'other.example.test',
      expect: { kind: 'redirect', status: 308, location: 'https://mail.example.test:8443/admin/' },
    },
    { name: 'http.url redirects even without a Host', hsts: fixed, host: undefined, expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/admin/' } },
    { name: 'no usable host → bad-host, never a redirect', hsts: on, host: undefined, expect: { kind: 'bad-host' } },
    {
      name: 'absolute-form target does not leak into the Location',
      hsts: on,
      url: 'http://evil.example/x',
      host: 'mail.example.test',
      expect: { kind: 'redirect', status: 301, location: 'https://mail.example.test/' },
    },
    { name: 'acme challenge exempt', hsts: on, url: '/.well-known/acme-challenge/token', host: 'mail.example.test', expect: { kind: 'none' } },
    { name: 'health probe exempt', hsts: on, url: '/healthz/live', host: 'mail.example.test', expect: { kind: 'none' } },
    { name: 'exempt path exempt for POST too', hsts: on, method: 'POST', url: '/healthz/ready?x=1', host: 'mail.example.test', expect: { kind: 'none' } },
    { name: 'exempt without a host', hsts: on, url: '/healthz/live', host: undefined, expect: { kind: 'none' } },
    { name: 'redirect turned off', hsts: noRedirect, host: 'mail.example.test', expect: { kind: 'none' } },
    { name: 'redirect off and no host', hsts: noRedirect, host: undefined, expect: { kind: 'none' } },
    { name: 'HSTS off', hsts: off, host: 'mail.example.test', expect: { kind: 'none' } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const url = c.url ?? '/admin/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const d = redirectDecision(c.hsts, c.port ?? 443, c.method ?? 'GET', path, url, c.host === undefined ? undefined : host(c.host));
      assert.deepEqual(d, c.expect);
      if (d.kind === 'redirect') {
        assert.match(d.location, /^https:\/\//);
        assert.doesNotMatch(d.location, /:443\//);
      } else {
        assert.equal('location' in d, false);
      }
    });
  }
});

describe('findings from review', () => {
  const compiled = (target: { fixedAuthority: string | undefined; fixedHostname?: string }) =>
    compileHsts({ enabled: true, maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: false, redirect: true }, target);
  test('an http:// http.url gives the host name, with the HTTPS listener port', () => {
    const d = redirectDecision(compiled({ fixedAuthority: undefined, fixedHostname: 'mail.example.test' }), 8443, 'GET', '/x', '/x?y', parseHost('other:8080'));
    assert.deepEqual(d, { kind: 'redirect', status: 301, location: 'https://mail.example.test:8443/x?y' });
  });
  for (const path of ['/healthz/../admin/', '/healthz/%2e%2e/admin', '/.well-known/acme-challenge/..\\x', '/healthz/./live']) {
    test(`not exempt: ${path}`, () => assert.equal(isRedirectExempt(path), false));
  }
  for (const h of ['127.0.0.1.', '2130706433', '0x7f.0.0.1', 'a.1']) {
    test(`numeric last label is an IP to browsers: ${h}`, () => assert.equal(hostTakesHsts(parseHost(h)), false));
  }
});
