// Property tests of the forwarded-chain parsers and of client resolution: no header value
// throws or takes long, whatever is resolved is the socket peer or a real address, and what a
// client writes itself can never move the result when only some proxies are trusted.
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { IpSet, normalizeIp, parseCidr, type Cidr } from '../../net/ip.js';
import { believesForwarded, resolveClient, type ClientFacts, type CompiledForwarded, type ForwardedHeaders } from './index.js';
import { parseForwarded, parseXForwardedFor } from './parse.js';
import { withinCpuBudget } from '../../test-helpers/cpu-time.js';

fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/** Per call, for the values a client can send in one request (the hostile ones run to ~400 KB). */
const BUDGET_MS = 100;
const HOSTILE_BUDGET_MS = 250;
const TRUSTED_RANGES = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8:ffff::/48', '::1'];
const trustedSet = new IpSet(TRUSTED_RANGES.map((c) => parseCidr(c) as Cidr));
/** The same ranges in node's own BlockList: the oracle for "trusted". */
const oracle = new BlockList();
oracle.addSubnet('10.0.0.0', 8, 'ipv4');
oracle.addSubnet('192.168.0.0', 16, 'ipv4');
oracle.addSubnet('2001:db8:ffff::', 48, 'ipv6');
oracle.addAddress('::1', 'ipv6');
const isTrusted = (ip: string) => oracle.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');

const off: CompiledForwarded = { mode: 'off', trustedProxies: trustedSet };
const any: CompiledForwarded = { mode: 'any', trustedProxies: new IpSet([]) };
const trusted: CompiledForwarded = { mode: 'trusted', trustedProxies: trustedSet };

// ---- generators ---------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
const trustedIp = fc.oneof(
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.tuple(octet, octet).map(([a, b]) => `192.168.${a}.${b}`),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 5, maxLength: 5 }).map((g) => `2001:db8:ffff:${g.map((x) => x.toString(16)).join(':')}`),
  fc.constant('::1'),
);
/** Addresses as a socket or a well-behaved proxy writes them: canonical, lower case, never IPv4-mapped. */
const untrustedIp = fc
  .oneof(fc.ipV4(), fc.ipV6().filter((ip) => !ip.includes('.')))
  .filter((ip) => !isTrusted(ip) && normalizeIp(ip) === ip);
const hopIp = fc.oneof(trustedIp, untrustedIp);

const port = fc.integer({ min: 1, max: 65_535 });
/** One `X-Forwarded-For` entry as proxies write them: the address, perhaps with a port. */
const xffEntry = fc.tuple(hopIp, fc.option(port, { nil: undefined })).map(([ip, p]) => ({ ip, text: p === undefined ? ip : isIP(ip) === 6 ? `[${ip}]:${p}` : `${ip}:${p}` }));
const proto = fc.option(fc.constantFrom('http', 'https', 'HTTPS'), { nil: undefined });
/** One RFC 7239 element as proxies write it: `for` (quoted when IPv6 or with a port), maybe `proto` and `by`. */
const forwardedElement = fc
  .tuple(hopIp, fc.option(port, { nil: undefined }), proto, fc.boolean())
  .map(([ip, p, pr, by]) => {
    const node = isIP(ip) === 6 ? `"[${ip}]${p === undefined ? '' : `:${p}`}"` : p === undefined ? ip : `"${ip}:${p}"`;
    const parts = [`for=${node}`, ...(pr === undefined ? [] : [`proto=${pr}`]), ...(by ? ['by=_proxy'] : [])];
    return { ip, proto: pr?.toLowerCase(), text: parts.join(';') };
  });

const NASTY = ['"', '\\', '\\"', ',', ';', '=', '[', ']', ':', ' ', '\t', '\r', '\n', '\0', 'for', 'FOR', 'proto', 'https', '_hidden', 'unknown', '1.2.3.4', '::1', '10.0.0.1', 'é', '\u2028', '%', 'fe80::1%eth0', '::FFFF:10.0.0.1'];
/** Anything a client may put in the headers: quoted strings, unbalanced quotes, brackets, CR/LF, NUL, non-ASCII. */
const clientText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.oneof(forwardedElement.map((e) => e.text), fc.string({ unit: fc.constantFrom(...NASTY), maxLength: 6 })), { maxLength: 6 }).map((a) => a.join(', ')),
);
const headers: fc.Arbitrary<ForwardedHeaders> = fc.record({
  forwarded: fc.option(clientText, { nil: undefined }),
  xForwardedFor: fc.option(clientText, { nil: undefined }),
  xForwardedProto: fc.option(fc.oneof(clientText, fc.constantFrom('https', 'http, https', 'HTTPS ,http')), { nil: undefined }),
});
const peer = fc.oneof(trustedIp, untrustedIp);
const mode = fc.constantFrom(off, any, trusted);

const timed = <T>(f: () => T, budget = BUDGET_MS): T => withinCpuBudget(f, budget);

function checkFacts(facts: ClientFacts, peerIp: string): void {
  assert.ok(facts.ip === peerIp || (isIP(facts.ip) !== 0 && normalizeIp(facts.ip) === facts.ip), `resolved ${JSON.stringify(facts.ip)}`);
  assert.ok(facts.forwardedProto === undefined || facts.forwardedProto === 'http' || facts.forwardedProto === 'https');
}

// ---- properties ---------------------------------------------------------------------------

describe('fuzz: forwarded headers', () => {
  test('the parsers never throw; every hop is a normalised address or nothing, and a lower-case proto', () => {
    fc.assert(
      fc.property(clientText, (h) => {
        for (const hops of [timed(() => parseForwarded(h)), timed(() => parseXForwardedFor(h))]) {
          for (const hop of hops) {
            if (hop.ip !== undefined) assert.ok(isIP(hop.ip) !== 0 && normalizeIp(hop.ip) === hop.ip, `hop ${JSON.stringify(hop.ip)} of ${JSON.stringify(h)}`);
            if (hop.proto !== undefined) assert.equal(hop.proto, hop.proto.toLowerCase());
          }
        }
        assert.equal(parseXForwardedFor(h).length, h.split(',').length, 'one X-Forwarded-For hop per comma-separated entry');
      }),
      { numRuns: 3000 },
    );
  });

  test('resolveClient never throws: the client is the peer or a valid, normalised address; proto is http, https or unknown', () => {
    fc.assert(
      fc.property(peer, headers, mode, (p, h, c) => checkFacts(timed(() => resolveClient(p, h, c)), p)),
      { numRuns: 3000 },
    );
  });

  test('off, or a peer outside http.trusted-proxies: the headers change nothing, whatever they say', () => {
    fc.assert(
      fc.property(untrustedIp, peer, headers, (untrustedPeer, anyPeer, h) => {
        assert.equal(believesForwarded(trusted, untrustedPeer), false);
        assert.equal(believesForwarded(off, anyPeer), false);
        assert.deepEqual(resolveClient(untrustedPeer, h, trusted), { ip: untrustedPeer, forwardedProto: undefined });
        assert.deepEqual(resolveClient(anyPeer, h, off), { ip: anyPeer, forwardedProto: undefined });
      }),
      { numRuns: 1500 },
    );
  });

  test('well-formed RFC 7239 elements, quoted strings holding `,` `;` `=` and escapes included, parse to what they say', () => {
    // A quoted-string's content: qdtext and quoted-pairs (`\"`, `\\`), which a split must step over.
    const quotedString = fc.array(fc.constantFrom('a', ',', ';', '=', ' ', '\\"', '\\\\', 'for=1.2.3.4'), { maxLength: 6 }).map((a) => `"${a.join('')}"`);
    const element = fc.tuple(forwardedElement, fc.array(fc.tuple(fc.constantFrom('by', 'host', 'x-ext'), quotedString), { maxLength: 2 }), fc.boolean()).map(([e, extra, first]) => {
      const params = extra.map(([k, v]) => `${k}=${v}`);
      return { ...e, text: first ? [...params, e.text].join(';') : [e.text, ...params].join(';') };
    });
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 6 }), fc.constantFrom(', ', ',', ' , '), (elements, sep) => {
        const header = elements.map((e) => e.text).join(sep);
        assert.deepEqual(parseForwarded(header), elements.map((e) => ({ ip: normalizeIp(e.ip), proto: e.proto })), header);
      }),
      { numRuns: 2000 },
    );
  });

  test('trusted proxies, well-formed chains: the client is the rightmost address not in http.trusted-proxies', () => {
    fc.assert(
      fc.property(trustedIp, fc.array(xffEntry, { minLength: 1, maxLength: 8 }), fc.boolean(), (p, chain, useForwarded) => {
        const h: ForwardedHeaders = useForwarded
          ? { forwarded: chain.map((e) => (isIP(e.ip) === 6 ? `for="[${e.ip}]"` : `for=${e.ip}`)).join(', '), xForwardedFor: undefined, xForwardedProto: undefined }
          : { forwarded: undefined, xForwardedFor: chain.map((e) => e.text).join(', '), xForwardedProto: undefined };
        const ips = chain.map((e) => normalizeIp(e.ip));
        const expected = [...ips].reverse().find((ip) => !isTrusted(ip)) ?? ips[0]!;
        assert.equal(resolveClient(p, h, trusted).ip, expected, JSON.stringify(h));
        // Stalwart's mode believes the leftmost entry.
        assert.equal(resolveClient(p, h, any).ip, ips[0]);
      }),
      { numRuns: 2000 },
    );
  });

  test("trusted proxies: nothing the client writes to the left of the proxies' entries moves the result", () => {
    // The chain the trusted proxies appended: the client's own address (not trusted), then theirs.
    const appended = fc.tuple(forwardedElement.filter((e) => !isTrusted(e.ip)), fc.array(forwardedElement.filter((e) => isTrusted(e.ip)), { maxLength: 3 }));
    fc.assert(
      fc.property(trustedIp, clientText, appended, fc.constantFrom(', ', ','), (p, forged, [client, proxies], sep) => {
        const proxyPart = [client, ...proxies].map((e) => e.text).join(', ');
        const honest = resolveClient(p, { forwarded: proxyPart, xForwardedFor: undefined, xForwardedProto: undefined }, trusted);
        assert.deepEqual(honest, { ip: normalizeIp(client.ip), forwardedProto: client.proto === 'http' || client.proto === 'https' ? client.proto : undefined });
        const withForgery = resolveClient(p, { forwarded: `${forged}${sep}${proxyPart}`, xForwardedFor: undefined, xForwardedProto: undefined }, trusted);
        assert.deepEqual(withForgery, honest, `Forwarded: ${JSON.stringify(`${forged}${sep}${proxyPart}`)}`);

        const xffPart = [client, ...proxies].map((e) => e.ip).join(', ');
        const honestX = resolveClient(p, { forwarded: undefined, xForwardedFor: xffPart, xForwardedProto: undefined }, trusted);
        assert.equal(honestX.ip, normalizeIp(client.ip));
        const forgedX = resolveClient(p, { forwarded: undefined, xForwardedFor: `${forged}${sep}${xffPart}`, xForwardedProto: undefined }, trusted);
        assert.deepEqual(forgedX, honestX, `X-Forwarded-For: ${JSON.stringify(`${forged}${sep}${xffPart}`)}`);
      }),
      { numRuns: 3000 },
    );
  });

  test('huge and hostile values stay within the time budget', () => {
    const HOSTILE: ((k: number) => string)[] = [
      (k) => Array.from({ length: k }, (_, i) => `for=10.0.${(i >> 8) & 255}.${i & 255}`).join(', '),
      (k) => Array.from({ length: k }, (_, i) => `10.0.${(i >> 8) & 255}.${i & 255}`).join(','),
      (k) => '"'.repeat(k),
      (k) => '\\'.repeat(k) + '"',
      (k) => `for="${'\\"'.repeat(k)}`,
      (k) => ','.repeat(k),
      (k) => ';'.repeat(k),
      (k) => `for=[${':'.repeat(k)}`,
      (k) => `for=${'1:'.repeat(k)}`,
      (k) => `for="[${'a:'.repeat(k)}]"`,
      (k) => `for=fe80::1%${'a'.repeat(k)}`,
      (k) => `for=${'1.'.repeat(k)}1`,
      (k) => 'for='.repeat(k),
    ];
    fc.assert(
      fc.property(fc.nat(HOSTILE.length - 1), fc.integer({ min: 1_000, max: 20_000 }), trustedIp, (i, k, p) => {
        const h = HOSTILE[i]!(k);
        timed(() => parseForwarded(h), HOSTILE_BUDGET_MS);
        timed(() => parseXForwardedFor(h), HOSTILE_BUDGET_MS);
        for (const c of [any, trusted]) {
          checkFacts(timed(() => resolveClient(p, { forwarded: h, xForwardedFor: undefined, xForwardedProto: h }, c), HOSTILE_BUDGET_MS), p);
          checkFacts(timed(() => resolveClient(p, { forwarded: undefined, xForwardedFor: h, xForwardedProto: h }, c), HOSTILE_BUDGET_MS), p);
        }
      }),
      { numRuns: 150 },
    );
  });
});
