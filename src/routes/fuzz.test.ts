// Property tests of what the static and proxy routes make of request (and upstream response)
// headers, and of the parser-error answers: no value throws or takes long, no URL path leads
// out of a static root, and no header a hop names (or that only describes one hop) goes on.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import parseRange from 'range-parser';
import { normalizeIp } from '../net/ip.js';
import { parseForwarded, parseXForwardedFor } from '../policy/forwarded/parse.js';
import { clientErrorAnswer, clientErrorStatus } from '../server/client-error.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type ForwardingFacts, type UpstreamRequestOptions } from './proxy/headers.js';
import { entityTag, evaluatePreconditions, httpDate, ifRangeHolds, matchesAny, parseEntityTags, type Validators } from './static/conditional.js';
import { asksForHtml, chooseCoding } from './static/negotiate.js';
import { decodePath, directoryLocation, isHidden, segmentsInside } from './static/resolve.js';
import { withinCpuBudget } from '../test-helpers/cpu-time.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** Per call, in CPU time: every input here is at most a few KB. */
const BUDGET_MS = 100;
const timed = <T>(f: () => T): T => withinCpuBudget(f, BUDGET_MS);

/** A character node's HTTP parser can hand over in a path or a header value: it decodes bytes as latin1. */
const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
/** A field value node accepts (RFC 9110 field-vchar, SP, HTAB, obs-text): no CR, LF, NUL or other control. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const fieldChar = fc.oneof(fc.constant('\t'), fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)));
const fieldValue = (maxLength: number) => fc.string({ unit: fieldChar, maxLength }).map((s) => s.trim());
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// ---- static: paths --------------------------------------------------------------------------

const PATH_UNITS = [
  'a', 'b.txt', 'x y', '.', '..', '...', '.env', '.well-known', '.git', '%2e', '%2E', '%2e%2e', '%2E%2e%2f', '%2f', '%2F', '%5c', '%5C', '\\', '%00', '\0', '%',
  '%zz', '%c3%a9', '%C3%A9', '%ff', '%ed%a0%80', '%252e', '%25', '%E2%80%AE', '~', ';', '=', ':', 'C:', 'c:x', '\u00e9', '\u00ff', '?', '#', ' ', '\t', '\r', '\n',
];
const urlPath = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...PATH_UNITS), fc.string({ unit: latin1Char, maxLength: 4 })), { maxLength: 8 }).chain((segs) => fc.boolean().map((slash) => `/${segs.join('/')}${slash ? '/' : ''}`)),
  fc.string({ unit: fc.constantFrom('/', '.', '%', '2', 'e', 'E', 'f', '5', 'c', '\\', 'a', '0'), maxLength: 30 }),
  fc.string({ unit: latin1Char, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const ROOTS = ['/srv/site', '/', '/srv/a b', '/srv/site2', '/var/www/html'];

describe('fuzz: static route paths', () => {
  test('decodePath never throws, and no path it accepts leads out of the root, to a dotfile, or through a separator', () => {
    fc.assert(
      fc.property(urlPath, fc.constantFrom(...ROOTS), (p, root) => {
        const d = timed(() => decodePath(p));
        if (!d.ok) {
          assert.ok(d.status === 400 || d.status === 404);
          assert.ok(d.detail.length > 0);
          return;
        }
        for (const s of d.segments) {
          assert.ok(s !== '' && s !== '.' && s !== '..', `segment ${JSON.stringify(s)} of ${JSON.stringify(p)}`);
          assert.ok(!s.includes('/') && !s.includes('\\') && !s.includes('\0'), `segment ${JSON.stringify(s)} of ${JSON.stringify(p)}`);
        }
        assert.equal(isHidden(d.segments), false);
        // As the route builds it: join(root, ...segments), before realpath.
        const inside = root === '/' ? '/' : `${root}${sep}`;
        for (const target of [join(root, ...d.segments), resolve(root, ...d.segments)]) {
          assert.ok(target === root || target.startsWith(inside), `${JSON.stringify(p)} resolves to ${target}, outside ${root}`);
        }
        assert.equal(segmentsInside(root, resolve(root, ...d.segments))?.length, d.segments.length);
        // Decoding happens exactly once.
        const raw = p.split('/').filter((s) => s !== '');
        assert.deepEqual(d.segments, raw.map((s) => decodeURIComponent(s)));
        assert.equal(d.trailingSlash, p.includes('/') && p.endsWith('/'));
      }),
      { numRuns: 5000 },
    );
  });

  test('segmentsInside accepts exactly the real paths below the real root, and gives their segments', () => {
    const seg = fc.constantFrom('a', 'site', 'site2', 'srv', '..x', 'x..', '.hidden', 'a b', '..', '.', 'é', 'etc', 'passwd', 'C:', 'c:x');
    fc.assert(
      fc.property(fc.constantFrom(...ROOTS), fc.array(seg, { maxLength: 6 }), fc.boolean(), (root, segs, fromRoot) => {
        // What realpath returns: absolute and normalised.
        const real = fromRoot ? resolve(root, ...segs) : resolve('/', ...segs);
        const got = timed(() => segmentsInside(root, real));
        const below = real === root || real.startsWith(root === '/' ? '/' : `${root}${sep}`);
        if (got !== undefined) {
          assert.ok(below, `${real} accepted under ${root}`);
          assert.equal(join(root, ...got), real);
        } else {
          assert.ok(!below, `${real} refused under ${root}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('directoryLocation is a same-origin path of URL characters that names the same directory', () => {
    const prefix = fc.oneof(fc.constant(''), fc.array(fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@]{1,6}$/).filter((s) => s !== '.' && s !== '..'), { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`));
    const latin1Path = urlPath.filter((p) => /^[\x00-\xff]*$/.test(p));
    const query = fc.oneof(fc.constant(''), fc.string({ unit: latin1Char, maxLength: 20 }).map((q) => `?${q}`), fc.constantFrom('?a=1&b=2', '?x=\r\nSet-Cookie:a', '?//evil.example', '?a b'));
    fc.assert(
      fc.property(prefix, latin1Path, query, (pre, p, q) => {
        const d = decodePath(p);
        if (!d.ok) return;
        const loc = timed(() => directoryLocation(pre, d.segments, q));
        assert.match(loc, /^\/(?![/\\])/, `${JSON.stringify(loc)} is not a same-origin path`);
        assert.match(loc, /^[\x21-\x7e]+$/, `${JSON.stringify(loc)} has a character a Location cannot hold`);
        const qAt = loc.indexOf('?');
        const path = qAt < 0 ? loc : loc.slice(0, qAt);
        assert.equal(qAt < 0 ? '' : loc.slice(qAt), /^\?[\x21-\x7e]*$/.test(q) ? q : '');
        assert.ok(path.endsWith('/'));
        const named = path.split('/').slice(1, -1).map((s) => decodeURIComponent(s));
        assert.deepEqual(named, [...pre.split('/').slice(1), ...d.segments]);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- static: validators, conditional requests, ranges ---------------------------------------

const validators: fc.Arbitrary<Validators> = fc
  .record({ size: fc.bigInt({ min: 0n, max: 2n ** 40n }), mtime: fc.bigInt({ min: 0n, max: 2n ** 62n }), coding: fc.constantFrom(undefined, 'br', 'gzip'), modified: fc.integer({ min: 1, max: 4_000_000_000 }) })
  .map(({ size, mtime, coding, modified }) => ({ etag: entityTag(size, mtime, coding), modifiedSeconds: modified }));
const etagc = fc.string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x22).map((c) => String.fromCharCode(c)), fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c))), maxLength: 8 });
const tag = fc.tuple(fc.boolean(), etagc).map(([weak, t]) => `${weak ? 'W/' : ''}"${t}"`);
const listSep = fc.constantFrom(', ', ',', ' , ', ',,', ', , ', '\t,');
const DATE_TEXT = ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'yesterday', '0', '-1', '1e400', '2024-01-02', 'Tue, 32 Jan 2024 03:04:05 GMT', ''];

describe('fuzz: conditional requests and ranges', () => {
  const header = (v: Validators) =>
    fc.oneof(
      fc.constant(v.etag),
      fc.constant(`W/${v.etag}`),
      fc.constantFrom('*', ' * ', '**', 'W/*'),
      fc.array(fc.oneof(tag, fc.constant(v.etag), fc.constant(`W/${v.etag}`)), { maxLength: 4 }).chain((tags) => listSep.map((s) => tags.join(s))),
      fc.integer({ min: -100, max: 100 }).map((d) => httpDate(v.modifiedSeconds + d)),
      fc.constantFrom(...DATE_TEXT),
      fc.string({ unit: fc.constantFrom('"', 'W', '/', ',', ' ', 'a', '*', '\\', '\t'), maxLength: 12 }),
      fc.string({ unit: latin1Char, maxLength: 30 }),
    );
  const conditional = validators.chain((v) =>
    fc.record({
      v: fc.constant(v),
      h: fc.record(
        { 'if-match': header(v), 'if-none-match': header(v), 'if-modified-since': header(v), 'if-unmodified-since': header(v), 'if-range': header(v) },
        { requiredKeys: [] },
      ),
    }),
  );

  test('evaluatePreconditions never throws and keeps RFC 9110 §13.2.2 precedence', () => {
    fc.assert(
      fc.property(conditional, ({ v, h }) => {
        const headers = h as IncomingHttpHeaders;
        const r = timed(() => evaluatePreconditions(headers, v));
        assert.ok(r === 'pass' || r === 'not-modified' || r === 'failed');
        const without = (k: string) => Object.fromEntries(Object.entries(headers).filter(([n]) => n !== k)) as IncomingHttpHeaders;
        // If-Match decides alone when present; If-None-Match likewise over If-Modified-Since.
        if (headers['if-match'] !== undefined) assert.equal(evaluatePreconditions(without('if-unmodified-since'), v), r);
        if (headers['if-none-match'] !== undefined) assert.equal(evaluatePreconditions(without('if-modified-since'), v), r);
        if (headers['if-match'] === undefined && headers['if-unmodified-since'] === undefined) assert.notEqual(r, 'failed');
        if (headers['if-none-match'] === undefined && headers['if-modified-since'] === undefined) assert.notEqual(r, 'not-modified');
        // If-Range only ever concerns a Range.
        assert.equal(evaluatePreconditions(without('if-range'), v), r);
      }),
      { numRuns: 4000 },
    );
  });

  test('dates: Last-Modified against If-Modified-Since / If-Unmodified-Since, to the second', () => {
    fc.assert(
      fc.property(validators, fc.integer({ min: -3_600, max: 3_600 }), (v, d) => {
        const date = httpDate(v.modifiedSeconds + d);
        assert.equal(evaluatePreconditions({ 'if-modified-since': date }, v), d >= 0 ? 'not-modified' : 'pass');
        assert.equal(evaluatePreconditions({ 'if-unmodified-since': date }, v), d >= 0 ? 'pass' : 'failed');
        assert.equal(ifRangeHolds(date, v), d === 0);
      }),
      { numRuns: 2000 },
    );
  });

  test('entity-tag lists: parse back as written, match as RFC 9110 §8.8.3.2 compares, and never throw', () => {
    fc.assert(
      fc.property(validators, fc.array(tag, { maxLength: 6 }), listSep, fc.constantFrom('', ' ', ', '), (v, tags, s, pad) => {
        const list = `${pad}${tags.join(s)}${pad}`;
        assert.deepEqual(timed(() => parseEntityTags(list)), tags, JSON.stringify(list));
        const strongHit = tags.includes(v.etag);
        const weakHit = strongHit || tags.includes(`W/${v.etag}`);
        assert.equal(matchesAny(list, v.etag, true), strongHit, `strong ${v.etag} in ${list}`);
        assert.equal(matchesAny(list, v.etag, false), weakHit, `weak ${v.etag} in ${list}`);
        assert.equal(matchesAny(`${list}${s}${v.etag}`, v.etag, true), true);
        assert.equal(matchesAny(`${list}${s}W/${v.etag}`, v.etag, true), strongHit, 'a weak tag never matches strongly');
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: latin1Char, maxLength: 40 }), fc.string({ unit: fc.constantFrom('"', 'W', '/', ',', ' ', 'a', '\\', '\t', '\0'), maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })), validators, (list, v) => {
        const tags = timed(() => parseEntityTags(list));
        for (const t of tags ?? []) assert.match(t, /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/);
        const strong = matchesAny(list, v.etag, true);
        if (strong) assert.ok(matchesAny(list, v.etag, false), 'what matches strongly matches weakly');
        const holds = ifRangeHolds(list, v);
        if (holds) assert.ok(list.trim() === v.etag || Math.floor(Date.parse(list.trim()) / 1000) === v.modifiedSeconds, `If-Range ${JSON.stringify(list)}`);
      }),
      { numRuns: 4000 },
    );
    assert.equal(timed(() => parseEntityTags(`${'"a", '.repeat(2_000)}"b"`))?.length, 2_001);
    timed(() => parseEntityTags(`${' ,'.repeat(4_000)}x`));
  });

  test('If-Range: only the exact strong tag or the exact date lets a Range apply', () => {
    fc.assert(
      fc.property(validators, fc.constantFrom(' ', '', '\t'), (v, pad) => {
        assert.equal(ifRangeHolds(undefined, v), true);
        assert.equal(ifRangeHolds(`${pad}${v.etag}${pad}`, v), true);
        assert.equal(ifRangeHolds(`W/${v.etag}`, v), false);
        assert.equal(ifRangeHolds(`${v.etag}, ${v.etag}`, v), false);
        assert.equal(ifRangeHolds(`${pad}${httpDate(v.modifiedSeconds)}${pad}`, v), true);
      }),
      { numRuns: 1000 },
    );
  });

  test('Range as the route reads it: any header, any size, and a single range always lies inside the file', () => {
    const offset = fc.oneof(fc.nat(20), fc.maxSafeNat(), fc.bigInt({ min: 0n, max: 2n ** 40n }).map(Number));
    const range = fc.oneof(
      fc.array(fc.tuple(fc.option(offset, { nil: undefined }), fc.option(offset, { nil: undefined })), { minLength: 1, maxLength: 5 }).chain((rs) =>
        fc.constantFrom('bytes=', 'Bytes=', 'items=', 'bytes =', '').map((unit) => `${unit}${rs.map(([a, b]) => `${a ?? ''}-${b ?? ''}`).join(',')}`),
      ),
      fc.string({ unit: fc.constantFrom('b', 'y', 't', 'e', 's', '=', '-', ',', ' ', '0', '1', '9', '+', '.', 'e'), maxLength: 20 }),
      fc.string({ unit: latin1Char, maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.nat(10), fc.bigInt({ min: 0n, max: 2n ** 40n }).map(Number)), range, (size, r) => {
        const ranges = timed(() => parseRange(size, r, { combine: true }));
        if (ranges === -1 || ranges === -2) return;
        for (const x of ranges) {
          assert.ok(Number.isSafeInteger(x.start) && Number.isSafeInteger(x.end), JSON.stringify(x));
          assert.ok(x.start >= 0 && x.start <= x.end && x.end <= size - 1, `${JSON.stringify(x)} of ${size} bytes for ${JSON.stringify(r)}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- static: content negotiation ------------------------------------------------------------

describe('fuzz: Accept-Encoding and Accept', () => {
  const qvalue = fc.oneof(fc.constantFrom('0', '1', '0.5', '0.000', '1.000', '0.001', '0.999', '1.0', '0.'), fc.integer({ min: 0, max: 1000 }).map((n) => (n === 1000 ? '1' : `0.${String(n).padStart(3, '0')}`)));
  const acceptEncoding = fc.oneof(
    fc.array(fc.tuple(fc.constantFrom('br', 'BR', 'gzip', 'x-gzip', 'identity', 'deflate', '*', 'zstd', ''), fc.option(fc.oneof(qvalue, fc.constantFrom('2', '-1', 'abc', '0.5.5', '')), { nil: undefined }), fc.constantFrom('', ' ')), { maxLength: 6 }).map((es) =>
      es.map(([n, q, ws]) => `${ws}${n}${q === undefined ? '' : `${ws};${ws}q=${q}`}`).join(','),
    ),
    fc.string({ unit: fc.constantFrom('b', 'r', 'g', 'z', 'i', 'p', '*', ';', 'q', '=', '0', '1', '.', ',', ' ', 'Q'), maxLength: 30 }),
    fc.string({ unit: latin1Char, maxLength: 40 }),
  );
  const available = fc.record({ br: fc.boolean(), gzip: fc.boolean() });

  test('chooseCoding never throws and only ever picks a variant that exists and that the client accepts', () => {
    fc.assert(
      fc.property(fc.option(acceptEncoding, { nil: undefined }), available, (h, a) => {
        const c = timed(() => chooseCoding(h, a));
        if (c !== undefined) assert.ok(a[c], `${c} chosen but not available`);
        if (h === undefined) assert.equal(c, undefined);
        // Only these names can make a coding acceptable.
        if (h !== undefined && !/\b(?:br|gzip|x-gzip)\b|\*/i.test(h)) assert.equal(c, undefined, JSON.stringify(h));
        // The choice between variants does not depend on a variant that was not chosen.
        if (c !== undefined) assert.equal(chooseCoding(h, { br: c === 'br', gzip: c === 'gzip' }), c);
        // Header lines arrive as one string or as several.
        if (h !== undefined) assert.equal(chooseCoding(h.split(','), a), c);
        if (h !== undefined) assert.equal(chooseCoding(h.replace(/[a-z]/g, (x) => x.toUpperCase()), a), c, 'names and q are case-insensitive');
      }),
      { numRuns: 4000 },
    );
  });

  test('explicit qualities decide: the higher q wins, br on a tie, q=0 never', () => {
    const q = fc.integer({ min: 0, max: 1000 });
    fc.assert(
      fc.property(q, q, fc.boolean(), fc.constantFrom('gzip', 'x-gzip'), fc.constantFrom('', ' '), (qb, qg, brFirst, gname, ws) => {
        const fmt = (n: number) => (n === 1000 ? '1' : `0.${String(n).padStart(3, '0')}`);
        const parts = [`br${ws};${ws}q=${fmt(qb)}`, `${gname};q=${fmt(qg)}`];
        const h = (brFirst ? parts : parts.reverse()).join(`,${ws}`);
        const expected = qb === 0 && qg === 0 ? undefined : qb >= qg ? 'br' : 'gzip';
        assert.equal(chooseCoding(h, { br: true, gzip: true }), expected, h);
        assert.equal(chooseCoding(h, { br: false, gzip: true }), qg > 0 ? 'gzip' : undefined, h);
        assert.equal(chooseCoding(`${h}, *`, { br: true, gzip: true }), expected, 'a listed coding is not overridden by `*`');
      }),
      { numRuns: 2000 },
    );
  });

  test('asksForHtml never throws, and says yes only when text/html itself is listed', () => {
    const accept = fc.oneof(
      fc.array(fc.tuple(fc.constantFrom('text/html', 'TEXT/HTML', 'text/*', '*/*', 'application/json', 'text/htmlx', ' text/html '), fc.option(qvalue, { nil: undefined })), { maxLength: 4 }).map((es) => es.map(([n, q]) => (q === undefined ? n : `${n};q=${q}`)).join(', ')),
      fc.string({ unit: latin1Char, maxLength: 40 }),
    );
    fc.assert(
      fc.property(accept, (a) => {
        const yes = timed(() => asksForHtml(a));
        if (yes) assert.ok(a.split(',').some((e) => e.split(';')[0]!.trim().toLowerCase() === 'text/html'), JSON.stringify(a));
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- proxy: request and response headers ----------------------------------------------------

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'];
const OWN = ['host', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];
const NAMES = ['Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'HTTP2-Settings', 'Host', 'Forwarded', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'Expect', 'Cookie', 'Accept', 'X-Hop', 'x-hop', 'X-Secret', 'Authorization', 'Content-Length'];
const headerName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/) });
const connectionValue = fc.oneof(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES, 'close', 'keep-alive', 'Keep-Alive'), headerName), fc.constantFrom('', ' ', '  ')), { maxLength: 4 }).map((ts) => ts.map(([t, ws]) => `${ws}${t}${ws}`).join(',')),
  fieldValue(20),
);
const FORWARDED_TEXT = ['for=192.0.2.1', 'for="[2001:db8::1]:80";proto=https', 'for="', '"', 'for="a\\"', 'for=unknown', '\\', ';', ',', 'proto=https'];
/** node's rawHeaders: names as sent, values as node's parser accepted them. */
const rawHeaders = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(headerName, fieldValue(24)) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Connection', 'connection', 'CONNECTION'), connectionValue) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Forwarded', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host'), fc.oneof(fc.constantFrom(...FORWARDED_TEXT), fieldValue(20))) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(':method', ':path', ':authority', ':scheme'), fieldValue(10)) },
    ),
    { maxLength: 12 },
  )
  .map((pairs) => pairs.flat());
const peerIp = fc.oneof(fc.ipV4(), fc.ipV6()).map(normalizeIp);
const facts: fc.Arbitrary<ForwardingFacts> = fc.record({ peerIp, believed: fc.boolean(), secure: fc.boolean(), host: fc.option(fc.oneof(fc.constantFrom('mail.example.org', 'a:80', '[::1]:8443', 'a"b', 'a\\', '\\"', 'x y', 'a;b,c', 'é'), fieldValue(16)), { nil: undefined }) });
const options: fc.Arbitrary<UpstreamRequestOptions> = fc.record({ preserveHost: fc.boolean(), upstreamHost: fc.constantFrom('127.0.0.1:8080', '[::1]:3000', 'backend') });

/** The element Parapet appends (RFC 7239 §4): `for`, `proto` and `host`, quoted where the syntax needs it. */
const QUOTED = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"';
const ELEMENT = new RegExp(`^for=(?:[0-9.]+|"\\[[0-9a-f:.%]+\\]");proto=https?;host=(?:[!#$%&'*+\\-.^_\`|~0-9A-Za-z]+|${QUOTED})$`);

function pairs(flat: readonly string[]): [string, string][] {
  assert.equal(flat.length % 2, 0, 'a flat header list has an even length');
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

describe('fuzz: proxy headers', () => {
  test('upstream request: no hop-by-hop field, nothing Connection names, forwarding fields written by Parapet only, no CR/LF/NUL', () => {
    fc.assert(
      fc.property(rawHeaders, facts, options, (raw, f, o) => {
        const out = pairs(timed(() => upstreamRequestHeaders(raw, f, o)));
        const input = pairs(raw);
        const listed = new Set(input.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((t) => t.trim().toLowerCase())));
        for (const [name, value] of out) {
          const lower = name.toLowerCase();
          assert.match(name, TOKEN, `name ${JSON.stringify(name)}`);
          assert.ok(!HOP_BY_HOP.includes(lower), `hop-by-hop ${name} forwarded`);
          assert.ok(!listed.has(lower) || OWN.includes(lower), `${name} is named in Connection, yet forwarded`);
          assert.notEqual(lower, 'expect');
          assert.match(value, FIELD_VALUE, `${name}: ${JSON.stringify(value)}`);
          assert.ok(!/[\r\n\0]/.test(value));
        }
        // Everything else the client sent goes on unchanged, in order.
        const kept = input.filter(([n]) => !n.startsWith(':') && !HOP_BY_HOP.includes(n.toLowerCase()) && !listed.has(n.toLowerCase()) && ![...OWN, 'expect'].includes(n.toLowerCase()));
        assert.deepEqual(out.slice(0, kept.length), kept);
        assert.deepEqual(out.slice(kept.length).map(([n]) => n), OWN, 'then exactly one of each forwarding field');
        const own = Object.fromEntries(out.slice(kept.length));
        const proto = f.secure ? 'https' : 'http';
        assert.equal(own.host, o.preserveHost && f.host !== undefined ? f.host : o.upstreamHost);
        // Parapet's own hop is the last one, and reads back as what Parapet saw, whatever came before it.
        const hops = parseForwarded(own.forwarded!);
        assert.deepEqual(hops.at(-1), { ip: f.peerIp, proto }, `Forwarded: ${JSON.stringify(own.forwarded)}`);
        assert.equal(parseXForwardedFor(own['x-forwarded-for']!).at(-1)?.ip, f.peerIp);
        if (!f.believed) {
          assert.match(own.forwarded!, ELEMENT, `Forwarded: ${JSON.stringify(own.forwarded)}`);
          assert.equal(hops.length, 1);
          assert.deepEqual([own['x-forwarded-for'], own['x-forwarded-proto'], own['x-forwarded-host']], [f.peerIp, proto, f.host ?? o.upstreamHost]);
        } else {
          // A believed chain is kept as it came, and Parapet's hop appended to it, as a proxy does.
          // A field the Connection header names is that hop's own: dropped, even from a believed chain.
          const sent = (name: string) => (listed.has(name) ? [] : input.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v));
          const element = Object.fromEntries(pairs(upstreamRequestHeaders(raw, { ...f, believed: false }, o))).forwarded!;
          const chain = sent('forwarded').join(', ');
          assert.equal(own.forwarded, chain ? `${chain}, ${element}` : element);
          const xff = sent('x-forwarded-for').join(', ');
          assert.equal(own['x-forwarded-for'], xff ? `${xff}, ${f.peerIp}` : f.peerIp);
          assert.equal(own['x-forwarded-proto'], sent('x-forwarded-proto')[0]?.split(',')[0]?.trim() || proto);
          assert.equal(own['x-forwarded-host'], sent('x-forwarded-host')[0]?.split(',')[0]?.trim() || (f.host ?? o.upstreamHost));
        }
      }),
      { numRuns: 4000 },
    );
  });

  test("Parapet's own Forwarded element is well-formed RFC 7239 for any Host", () => {
    fc.assert(
      fc.property(peerIp, fc.boolean(), fieldValue(30), (ip, secure, host) => {
        const out = Object.fromEntries(pairs(upstreamRequestHeaders([], { peerIp: ip, believed: false, secure, host }, { preserveHost: true, upstreamHost: 'backend' })));
        assert.match(out.forwarded!, ELEMENT, JSON.stringify(out.forwarded));
        assert.deepEqual(parseForwarded(out.forwarded!), [{ ip, proto: secure ? 'https' : 'http' }]);
        // What a second proxy in the chain appends stays readable after it.
        const appended = `${out.forwarded}, for=10.9.8.7;proto=https`;
        assert.deepEqual(parseForwarded(appended).map((h) => h.ip), [ip, '10.9.8.7'], appended);
      }),
      { numRuns: 3000 },
    );
  });

  test('downstream response: no hop-by-hop field, nothing Connection names, nothing Parapet manages; the rest as it came', () => {
    const responseHeaders = fc
      .array(fc.tuple(headerName.map((n) => n.toLowerCase()), fc.oneof(fieldValue(20), fc.array(fieldValue(10), { minLength: 1, maxLength: 3 }), connectionValue)), { maxLength: 10 })
      .map((entries) => {
        const h: Record<string, string | string[]> = {};
        for (const [n, v] of entries) if (n !== '__proto__') h[n] = n === 'set-cookie' || !Array.isArray(v) ? v : v.join(', ');
        return h as IncomingHttpHeaders;
      });
    fc.assert(
      fc.property(responseHeaders, fc.subarray(['strict-transport-security', 'access-control-allow-origin', 'x-secret', 'cookie', 'x-hop']), (h, managedList) => {
        const managed = new Set(managedList);
        const out = pairs(timed(() => downstreamResponseHeaders(h, (n) => managed.has(n))));
        const connection = h.connection;
        const listed = new Set((Array.isArray(connection) ? connection.join(',') : (connection ?? '')).split(',').map((t) => t.trim().toLowerCase()));
        for (const [name] of out) {
          assert.equal(name, name.toLowerCase());
          assert.ok(!HOP_BY_HOP.includes(name) && !listed.has(name) && !managed.has(name), `${name} passed on`);
        }
        const expected = Object.entries(h).flatMap(([n, v]) => (HOP_BY_HOP.includes(n) || listed.has(n) || managed.has(n) || v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x): [string, string] => [n, x])));
        assert.deepEqual(out, expected);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- parser errors --------------------------------------------------------------------------

describe('fuzz: answers to requests the HTTP parser refuses', () => {
  const CODES = ['HPE_HEADER_OVERFLOW', 'HPE_CHUNK_EXTENSIONS_OVERFLOW', 'ERR_HTTP_REQUEST_TIMEOUT', 'HPE_INVALID_METHOD', 'HPE_INVALID_HEADER_TOKEN', 'ECONNRESET', ''];
  const requestLine = fc
    .tuple(fc.constantFrom('GET', 'POST', 'PROPFIND', 'M-SEARCH', 'get', 'A'.repeat(24), 'A'.repeat(25), ''), fc.constantFrom(' ', '  ', '\t', ''), fc.string({ unit: fc.constantFrom('/', 'a', ' ', '\r', '\n', '%', '?', 'é'), maxLength: 40 }), fc.nat(3000))
    .map(([m, s, t, pad]) => Buffer.from(`${m}${s}${t}${'x'.repeat(pad)} HTTP/1.1\r\nHost: a\r\n`, 'latin1'));
  const packet = fc.oneof(requestLine, fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), fc.constantFrom(undefined, null, 'GET /x HTTP/1.1', 42, {}));

  test('clientErrorStatus never throws and answers 414 exactly when the request line holds a target longer than the limit', () => {
    fc.assert(
      fc.property(fc.option(fc.oneof(fc.constantFrom(...CODES), fc.string({ maxLength: 12 })), { nil: undefined }), packet, fc.integer({ min: 0, max: 4_000 }), (code, p, max) => {
        const status = timed(() => clientErrorStatus(code, p, max));
        assert.ok([400, 408, 413, 414, 431].includes(status), String(status));
        const line = Buffer.isBuffer(p) ? /^([A-Z]{1,24}) ([^ \r\n]*)/.exec(p.toString('latin1')) : null;
        const targetLength = line ? line[2]!.length : 0;
        const expected = code === 'HPE_HEADER_OVERFLOW' ? (targetLength > max ? 414 : 431) : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
        assert.equal(status, expected);
      }),
      { numRuns: 3000 },
    );
  });

  test('clientErrorAnswer is one well-framed HTTP/1.1 response that closes the connection', () => {
    const policyHeaders = fc.array(fc.tuple(fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/), fieldValue(30)), { maxLength: 5 }).map((ps) => ps.flat());
    fc.assert(
      fc.property(fc.constantFrom(400, 408, 413, 414, 431), policyHeaders, (status, headers) => {
        const bytes = clientErrorAnswer(status, headers);
        assert.equal(clientErrorAnswer(status, headers), bytes, 'built once per status and header list');
        const text = bytes.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        assert.ok(end > 0);
        const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
        assert.match(statusLine!, new RegExp(`^HTTP/1\\.1 ${status} [\\x20-\\x7e]+$`));
        assert.deepEqual(lines.slice(0, headers.length / 2), pairs(headers).map(([n, v]) => `${n}: ${v}`));
        const fixed = Object.fromEntries(lines.slice(headers.length / 2).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        assert.equal(fixed.connection, 'close');
        const body = bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
        assert.equal(Number(fixed['content-length']), body.length, 'Content-Length is the body as sent');
        assert.equal(JSON.parse(body.toString('utf8')).status, status);
      }),
      { numRuns: 1000 },
    );
  });
});
