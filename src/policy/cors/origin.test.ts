import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OriginMatcher, parseOrigin, parseOriginEntry, serializeOrigin, type SubdomainPattern } from './origin.js';

describe('parseOrigin: what a browser sends in Origin', () => {
  // [Origin header, serialised origin or undefined when refused]
  const cases: [string, string | undefined][] = [
    ['https://admin.example.com', 'https://admin.example.com'],
    ['https://Admin.EXAMPLE.com', 'https://admin.example.com'],
    ['HTTPS://admin.example.com', 'https://admin.example.com'],
    ['https://admin.example.com:443', 'https://admin.example.com'],
    ['http://admin.example.com:80', 'http://admin.example.com'],
    ['http://admin.example.com:443', 'http://admin.example.com:443'],
    ['https://admin.example.com:80', 'https://admin.example.com:80'],
    ['https://admin.example.com:0443', 'https://admin.example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://[2001:DB8::1]', 'http://[2001:db8::1]'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['tauri://localhost', 'tauri://localhost'],
    ['null', undefined],
    ['', undefined],
    ['*', undefined],
    ['admin.example.com', undefined],
    ['//admin.example.com', undefined],
    ['https://admin.example.com/', undefined],
    ['https://admin.example.com/path', undefined],
    ['https://admin.example.com?q', undefined],
    ['https://admin.example.com#f', undefined],
    ['https://user@admin.example.com', undefined],
    ['https://user:pw@admin.example.com', undefined],
    ['https://admin.example.com:', undefined],
    ['https://admin.example.com:65536', undefined],
    ['https://admin.example.com:123456', undefined],
    ['https://admin.example.com:-1', undefined],
    ['https://admin.example.com\r\nSet-Cookie: a=b', undefined],
    ['https://admin.example.com\n', undefined],
    ['https://admin.example.com\0', undefined],
    [' https://admin.example.com', undefined],
    ['https://admin .example.com', undefined],
    ['https://ädmin.example.com', undefined],
    ['https://admin.example.com%2f', undefined],
    ['https://[::1', undefined],
    ['https://[not-ip]', undefined],
    [`https://${'a'.repeat(300)}.example`, undefined],
  ];
  for (const [raw, expected] of cases) {
    test(JSON.stringify(raw), () => {
      const parsed = parseOrigin(raw);
      assert.equal(parsed === undefined ? undefined : serializeOrigin(parsed), expected);
    });
  }
});

describe('parseOriginEntry: http.cors.allowed-origins entries', () => {
  type Expected = { exact: string } | { pattern: SubdomainPattern } | 'refused';
  const cases: [string, Expected][] = [
    ['https://admin.example.com', { exact: 'https://admin.example.com' }],
    ['HTTPS://Admin.Example.COM', { exact: 'https://admin.example.com' }],
    ['https://admin.example.com:443', { exact: 'https://admin.example.com' }],
    ['http://admin.example.com:80', { exact: 'http://admin.example.com' }],
    ['https://admin.example.com:8443', { exact: 'https://admin.example.com:8443' }],
    ['  https://admin.example.com  ', { exact: 'https://admin.example.com' }],
    ['http://localhost:5173', { exact: 'http://localhost:5173' }],
    ['http://127.0.0.1:8080', { exact: 'http://127.0.0.1:8080' }],
    ['https://[::1]:8443', { exact: 'https://[::1]:8443' }],
    ['https://*.example.org', { pattern: { scheme: 'https', suffix: '.example.org', port: '' } }],
    ['https://*.Example.ORG:443', { pattern: { scheme: 'https', suffix: '.example.org', port: '' } }],
    ['https://*.example.org:8443', { pattern: { scheme: 'https', suffix: '.example.org', port: '8443' } }],
    ['http://*.dev.example.org', { pattern: { scheme: 'http', suffix: '.dev.example.org', port: '' } }],
    ['https://admin.example.com/', 'refused'],
    ['https://admin.example.com/app', 'refused'],
    ['https://admin.example.com?x=1', 'refused'],
    ['https://admin.example.com#top', 'refused'],
    ['admin.example.com', 'refused'],
    ['//admin.example.com', 'refused'],
    ['*.example.org', 'refused'],
    ['https://a.*.example.org', 'refused'],
    ['https://*example.org', 'refused'],
    ['https://ex*ample.org', 'refused'],
    ['https://*.*.example.org', 'refused'],
    ['https://*.example.*', 'refused'],
    ['https://*', 'refused'],
    ['https://*.org', 'refused'],
    ['https://*.example.org/', 'refused'],
    ['null', 'refused'],
    ['NULL', 'refused'],
    ['*', 'refused'],
    ['', 'refused'],
    ['https://', 'refused'],
    ['https://user@admin.example.com', 'refused'],
    ['https://admin.example.com:99999', 'refused'],
    ['https://admin..example.com', 'refused'],
    ['https://-admin.example.com', 'refused'],
    ['https://admin_x.example.com', 'refused'],
    ['https://admin.example.com.', 'refused'],
    ['https://admin.example.com\r\nX: y', 'refused'],
    // Hosts ending in a number are IPv4 to a browser (WHATWG URL): written otherwise, no Origin ever equals them.
    ['http://127.1', 'refused'],
    ['http://0x7f.0.0.1', 'refused'],
    ['https://1270.0.1', 'refused'],
    ['https://x127.0.0.1', 'refused'],
    ['https://app.example.1', 'refused'],
    ['http://127.000.0.1', 'refused'],
    ['https://*.1.2.3', 'refused'],
    ['https://*.example.0x1', 'refused'],
    ['http://10.0.0.1:8080', { exact: 'http://10.0.0.1:8080' }],
    ['https://app1.example2', { exact: 'https://app1.example2' }],
  ];
  for (const [entry, expected] of cases) {
    test(JSON.stringify(entry), () => {
      const r = parseOriginEntry(entry);
      if (expected === 'refused') {
        assert.equal(r.ok, false, `expected a refusal, got ${JSON.stringify(r)}`);
        if (!r.ok) assert.ok(r.message.length > 0);
      } else if ('exact' in expected) {
        assert.deepEqual(r, { ok: true, kind: 'exact', origin: expected.exact });
      } else {
        assert.deepEqual(r, { ok: true, kind: 'pattern', pattern: expected.pattern });
      }
    });
  }
});

describe('OriginMatcher', () => {
  const entries = ['https://admin.example.com', 'http://localhost:5173', 'https://*.example.org', 'https://*.corp.example.net:8443'];
  const exact: string[] = [];
  const patterns: SubdomainPattern[] = [];
  for (const e of entries) {
    const r = parseOriginEntry(e);
    assert.ok(r.ok);
    if (r.kind === 'exact') exact.push(r.origin);
    else patterns.push(r.pattern);
  }
  const m = new OriginMatcher(exact, patterns);
  // [Origin header, allowed]
  const cases: [string, boolean][] = [
    ['https://admin.example.com', true],
    ['https://admin.example.com:443', true],
    ['https://ADMIN.example.com', true],
    ['http://admin.example.com', false],
    ['https://admin.example.com:8443', false],
    ['https://x.admin.example.com', false],
    ['https://admin.example.com.evil.com', false],
    ['https://evil-admin.example.com', false],
    ['http://localhost:5173', true],
    ['http://localhost:5174', false],
    ['http://localhost', false],
    ['https://localhost:5173', false],
    ['https://a.example.org', true],
    ['https://deep.er.a.example.org', true],
    ['https://A.Example.Org', true],
    ['https://a.example.org:443', true],
    ['https://example.org', false],
    ['https://a.example.org:8443', false],
    ['http://a.example.org', false],
    ['https://evil-example.org', false],
    ['https://evilexample.org', false],
    ['https://example.org.evil.com', false],
    ['https://a.example.org.evil.com', false],
    ['https://.example.org', false],
    ['https://a..example.org', false],
    ['https://-a.example.org', false],
    ['https://a_b.example.org', false],
    ['https://a.example.org/', false],
    ['https://user@a.example.org', false],
    ['https://x.corp.example.net:8443', true],
    ['https://x.corp.example.net', false],
    ['https://corp.example.net:8443', false],
    ['null', false],
    ['', false],
    ['*', false],
    ['https://a.example.org\r\n', false],
  ];
  for (const [origin, allowed] of cases) test(`${JSON.stringify(origin)} → ${allowed}`, () => assert.equal(m.matches(origin), allowed));

  test('an empty matcher allows nothing', () => {
    const none = new OriginMatcher([], []);
    for (const [origin] of cases) assert.equal(none.matches(origin), false, origin);
  });
});
