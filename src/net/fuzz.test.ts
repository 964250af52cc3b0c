// Property tests of Host/authority parsing, IP parsing and request-target parsing: no input
// throws or takes long, and what is accepted is what the code promises (a lower-case host of
// DNS characters or a real IP literal, an address node agrees is one, ranges that contain
// exactly what node's own BlockList says they contain).
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatHost, parseHost, type HostFacts } from './host.js';
import { IpSet, ipv4ToInt, isLoopback, normalizeIp, parseCidr, type Cidr } from './ip.js';
import { absoluteForm } from './target.js';
import { withinCpuBudget } from '../test-helpers/cpu-time.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** Per call, in CPU time: every input here is at most a few KB. */
const BUDGET_MS = 100;
const timed = <T>(f: () => T): T => withinCpuBudget(f, BUDGET_MS);

// ---- generators ---------------------------------------------------------------------------

const HOST_PARTS = ['a', 'Z', '0', '9', '-', '_', '.', ':', '[', ']', '::', '1', '80', '443', '65535', '65536', '%', 'eth0', '@', '/', ' ', '\t', '\r', '\n', '\0', 'é', '\u212a', 'ffff', '127.0.0.1', '::1', 'fe80::1', 'xn--bcher-kva', 'example', 'com'];
const ipLike = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.constantFrom('::ffff:10.0.0.1', '::FFFF:10.0.0.1', 'FE80::1%ETH0', '0:0:0:0:0:ffff:1.2.3.4', '010.0.0.1', '1.2.3.04', '::', '1::', ':::', '1.2.3.4.5', ''));
/** A label as REG_NAME takes it anywhere in a name (only later labels may also start with `_`). */
const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,8}[A-Za-z0-9_])?$/);
/** Host header values: well-formed names and literals, with ports, and anything else. */
const hostHeader = fc.oneof(
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')), fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: undefined }), fc.boolean()).map(([h, p, dot]) => `${h}${dot ? '.' : ''}${p === undefined ? '' : `:${p}`}`),
  fc.tuple(ipLike, fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: undefined }), fc.boolean()).map(([ip, p, brackets]) => `${brackets ? `[${ip}]` : ip}${p === undefined ? '' : `:${p}`}`),
  fc.string({ unit: fc.constantFrom(...HOST_PARTS), maxLength: 12 }),
  // What node hands over: header values decoded as latin1.
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 300 }),
);

// ---- Host ---------------------------------------------------------------------------------

/** The characters a parsed host name can hold: DNS names, IPv4, IPv6 with a zone. */
const HOSTNAME = /^[a-z0-9._:%-]+$/;

function checkHost(raw: string, h: HostFacts): void {
  assert.match(h.hostname, HOSTNAME, `hostname ${JSON.stringify(h.hostname)} from ${JSON.stringify(raw)}`);
  assert.equal(h.hostname, h.hostname.toLowerCase());
  assert.equal(h.isIpLiteral, isIP(h.hostname) !== 0, `isIpLiteral for ${JSON.stringify(raw)}`);
  if (h.hostname.includes(':')) assert.equal(isIP(h.hostname), 6, 'a colon only in an IPv6 literal');
  if (isIP(h.hostname) === 6) assert.ok(raw.startsWith('['), 'IPv6 only in brackets');
  assert.ok(h.port === undefined || (Number.isInteger(h.port) && h.port >= 0 && h.port <= 65_535), `port ${h.port}`);
  assert.ok(Object.isFrozen(h), 'facts are shared through the cache: frozen');
  // The raw value it came from was plain ASCII: no look-alike folds into a name.
  assert.match(raw, /^[\x21-\x7e]+$/, `accepted ${JSON.stringify(raw)}`);
}

describe('fuzz: Host / :authority', () => {
  test('never throws; anything accepted is a lower-case DNS name or an IP literal, with a port in range', () => {
    fc.assert(
      fc.property(hostHeader, (raw) => {
        const h = timed(() => parseHost(raw));
        if (h !== undefined) checkHost(raw, h);
        // Cached or not, the same answer.
        assert.deepEqual(parseHost(raw), h);
      }),
      { numRuns: 5000 },
    );
  });

  test('an answer does not depend on what was parsed before it (the last value and a map are kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostHeader, fc.constantFrom('a.example', 'A.example', 'a.example:80', 'bad host', '')), { minLength: 1, maxLength: 12 }), (raws) => {
        const forwards = raws.map((raw) => parseHost(raw));
        const backwards = [...raws].reverse().map((raw) => parseHost(raw)).reverse();
        assert.deepEqual(forwards, backwards);
        // Each again, straight after a different value.
        raws.forEach((raw, i) => {
          parseHost(raws[(i + 1) % raws.length]);
          assert.deepEqual(parseHost(raw), forwards[i], JSON.stringify(raw));
        });
      }),
      { numRuns: 1000 },
    );
  });

  test('formatHost and parseHost round-trip; ASCII case does not matter', () => {
    fc.assert(
      fc.property(hostHeader, fc.integer({ min: 0, max: 65_535 }), (raw, defaultPort) => {
        const h = parseHost(raw);
        if (h === undefined) return;
        const formatted = formatHost(h.hostname, h.port, defaultPort);
        const again = parseHost(formatted);
        assert.ok(again, `${JSON.stringify(formatted)} (from ${JSON.stringify(raw)}) does not parse`);
        assert.equal(again.hostname, h.hostname);
        assert.equal(again.isIpLiteral, h.isIpLiteral);
        assert.equal(again.port, h.port === defaultPort ? undefined : h.port);
        assert.deepEqual(parseHost(raw.replace(/[a-z]/g, (c) => c.toUpperCase())), h);
      }),
      { numRuns: 3000 },
    );
  });

  test('well-formed names and literals are accepted as they are', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.')), fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`)), fc.option(fc.integer({ min: 0, max: 65_535 }), { nil: undefined }), (host, port) => {
        const raw = port === undefined ? host : `${host}:${port}`;
        const h = parseHost(raw);
        assert.ok(h, JSON.stringify(raw));
        assert.equal(h.hostname, host.replace(/^\[|\]$/g, '').toLowerCase());
        assert.equal(h.port, port);
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- IP -----------------------------------------------------------------------------------

describe('fuzz: IP addresses and ranges', () => {
  const anyString = fc.oneof(ipLike, fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', 'a', 'f', 'F', ':', '.', '/', '%', ' ', '-', 'x'), maxLength: 45 }), fc.string({ unit: 'binary', maxLength: 50 }));

  test('normalizeIp is idempotent and keeps an address an address; ipv4ToInt reads exactly the IPv4 addresses node accepts', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const n = timed(() => normalizeIp(s));
        assert.equal(normalizeIp(n), n, `normalizeIp(${JSON.stringify(s)}) = ${JSON.stringify(n)} is not normal`);
        if (isIP(s) !== 0) assert.notEqual(isIP(n), 0, `${JSON.stringify(s)} stopped being an address`);
        if (isIP(s) === 4) {
          assert.equal(ipv4ToInt(s), s.split('.').reduce((a, o) => a * 256 + Number(o), 0));
        }
        const v = ipv4ToInt(s);
        if (v !== undefined) {
          assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff);
          assert.match(s, /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
        }
        isLoopback(s);
      }),
      { numRuns: 5000 },
    );
  });

  test('parseCidr: never throws; a range is a normalised address of its family, a prefix in range, and round-trips', () => {
    const cidrText = fc.oneof(
      fc.tuple(ipLike, fc.option(fc.oneof(fc.integer({ min: 0, max: 200 }).map(String), fc.constantFrom('', '08', '-1', '1e1', ' 8', '0x8', '/8')), { nil: undefined })).map(([ip, p]) => (p === undefined ? ip : `${ip}/${p}`)),
      anyString,
    );
    fc.assert(
      fc.property(cidrText, fc.constantFrom('', ' ', '\t', '\n'), (raw, pad) => {
        const c = timed(() => parseCidr(`${pad}${raw}${pad}`));
        if (c === undefined) return;
        assert.equal(isIP(c.address), c.family === 'ipv4' ? 4 : 6, JSON.stringify(raw));
        assert.equal(normalizeIp(c.address), c.address);
        assert.ok(Number.isInteger(c.prefix) && c.prefix >= 0 && c.prefix <= (c.family === 'ipv4' ? 32 : 128));
        assert.deepEqual(parseCidr(`${c.address}/${c.prefix}`), c);
        // A range holds its own address.
        assert.equal(new IpSet([c]).has(c.address), true, `${c.address}/${c.prefix}`);
      }),
      { numRuns: 5000 },
    );
  });

  // IpSet keeps the families apart (IPv4 ranges as integers, IPv6 ranges in a BlockList), where
  // a single BlockList would also match an IPv4 address against an IPv6 range covering
  // ::ffff:0:0/96: the reference here is one BlockList per family.
  test("IpSet holds exactly what node's BlockList holds for the same ranges, family by family", () => {
    const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
    // IPv4-mapped forms are normalised to IPv4 before any lookup, so they are left out here.
    const plainV6 = fc.ipV6().filter((a) => !a.includes('.'));
    const v6 = fc.tuple(plainV6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(v4, v6), { maxLength: 6 }), fc.array(fc.oneof(fc.ipV4(), plainV6), { minLength: 1, maxLength: 10 }), (ranges, probes) => {
        const cidrs = ranges.map((r) => parseCidr(r)!);
        const set = new IpSet(cidrs);
        const reference = { ipv4: new BlockList(), ipv6: new BlockList() };
        for (const c of cidrs) reference[c.family].addSubnet(c.address, c.prefix, c.family);
        // Probes near the ranges too: their own addresses, and the addresses next to them.
        const neighbours = cidrs.filter((c) => c.family === 'ipv4').flatMap((c) => [-1, 1].map((d) => ipv4ToInt(c.address)! + d * 2 ** (32 - c.prefix)));
        const v4Near = neighbours.filter((n) => n >= 0 && n <= 0xffff_ffff).map((n) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.'));
        for (const probe of [...probes, ...cidrs.map((c) => c.address), ...v4Near]) {
          const ip = normalizeIp(probe);
          const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
          assert.equal(set.has(ip), reference[family].check(ip, family), `${ip} in ${JSON.stringify(ranges)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('IpSet.has never throws on any string', () => {
    const set = new IpSet(['10.0.0.0/8', '2001:db8::/32', '0.0.0.0/0'].map((c) => parseCidr(c) as Cidr));
    fc.assert(
      fc.property(anyString, (s) => {
        timed(() => set.has(s));
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- request target -----------------------------------------------------------------------

describe('fuzz: request target', () => {
  const TARGET_PARTS = ['http://', 'https://', 'HTTP://', 'hTtPs://', 'ftp://', '//', '/', '?', '#', 'a', 'example.org', ':8080', '[::1]', '@', '%2f', ' ', '\r\n', '\0', 'é', '*'];
  const target = fc.oneof(fc.string({ unit: fc.constantFrom(...TARGET_PARTS), maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.webUrl({ withQueryParameters: true, withFragments: true }));

  test('absoluteForm never throws; its authority and origin form are exactly the pieces of the target', () => {
    fc.assert(
      fc.property(target, (t) => {
        const r = timed(() => absoluteForm(t));
        if (r === undefined) return;
        const scheme = /^https?:\/\//i.exec(t)?.[0];
        assert.ok(scheme, `${JSON.stringify(t)} is not http(s)`);
        assert.ok(!/[/?#]/.test(r.authority), `authority ${JSON.stringify(r.authority)}`);
        assert.ok(!t.includes('#'), 'a fragment is never part of a request target');
        assert.ok(r.originForm.startsWith('/'), `origin form ${JSON.stringify(r.originForm)}`);
        const rest = t.slice(scheme.length + r.authority.length);
        assert.equal(t.slice(scheme.length, scheme.length + r.authority.length), r.authority);
        assert.equal(r.originForm, rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest);
        // What the Host check makes of the authority keeps the Host invariants.
        const h = parseHost(r.authority);
        if (h !== undefined) checkHost(r.authority, h);
      }),
      { numRuns: 5000 },
    );
  });

  test('every http(s) URL without a fragment is read back as its host and path', () => {
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true }), (u) => {
        const url = new URL(u);
        const r = absoluteForm(u);
        assert.ok(r, u);
        assert.equal(r.authority, u.slice(url.protocol.length + 2).split(/[/?]/)[0]);
        assert.equal(r.originForm, `${u.slice(url.protocol.length + 2 + r.authority.length) || '/'}`.replace(/^\?/, '/?'));
      }),
      { numRuns: 2000 },
    );
  });
});
