import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IpSet, parseCidr, type Cidr } from '../../net/ip.js';
import { resolveClient, type CompiledForwarded, type ForwardedHeaders } from './index.js';
import { parseForwarded } from './parse.js';

const trusted = (...cidrs: string[]): CompiledForwarded => ({ mode: 'trusted', trustedProxies: new IpSet(cidrs.map((c) => parseCidr(c) as Cidr)) });
const any: CompiledForwarded = { mode: 'any', trustedProxies: new IpSet([]) };
const off: CompiledForwarded = { mode: 'off', trustedProxies: new IpSet([]) };
const h = (x: Partial<ForwardedHeaders>): ForwardedHeaders => ({ forwarded: undefined, xForwardedFor: undefined, xForwardedProto: undefined, ...x });

describe('parseForwarded (RFC 7239)', () => {
  const cases: [string, { ip: string | undefined; proto: string | undefined }[]][] = [
    ['for=192.0.2.60;proto=https;by=203.0.113.43', [{ ip: '192.0.2.60', proto: 'https' }]],
    ['for="[2001:db8:cafe::17]:4711"', [{ ip: '2001:db8:cafe::17', proto: undefined }]],
    ['For=192.0.2.43, for=198.51.100.17', [{ ip: '192.0.2.43', proto: undefined }, { ip: '198.51.100.17', proto: undefined }]],
    ['for=unknown, for=_hidden', [{ ip: undefined, proto: undefined }, { ip: undefined, proto: undefined }]],
    ['for="192.0.2.1:8080";proto=HTTP', [{ ip: '192.0.2.1', proto: 'http' }]],
    ['for="a,b";proto=https', [{ ip: undefined, proto: 'https' }]],
  ];
  for (const [header, expected] of cases) test(header, () => assert.deepEqual(parseForwarded(header), expected));
});

describe('resolveClient', () => {
  const cases: [string, string, ForwardedHeaders, CompiledForwarded, string, string | undefined][] = [
    ['off ignores headers', '10.0.0.1', h({ xForwardedFor: '1.1.1.1', xForwardedProto: 'https' }), off, '10.0.0.1', undefined],
    ['Stalwart: leftmost X-Forwarded-For from any peer', '10.0.0.1', h({ xForwardedFor: '1.1.1.1, 2.2.2.2' }), any, '1.1.1.1', undefined],
    ['Stalwart: Forwarded wins over X-Forwarded-For', '10.0.0.1', h({ forwarded: 'for=3.3.3.3;proto=https', xForwardedFor: '1.1.1.1' }), any, '3.3.3.3', 'https'],
    ['Stalwart: X-Forwarded-Proto', '10.0.0.1', h({ xForwardedFor: '1.1.1.1', xForwardedProto: 'https' }), any, '1.1.1.1', 'https'],
    ['trusted: untrusted peer changes nothing', '192.0.2.9', h({ xForwardedFor: '1.1.1.1', xForwardedProto: 'https' }), trusted('10.0.0.0/8'), '192.0.2.9', undefined],
    ['trusted: rightmost untrusted entry is the client', '10.0.0.1', h({ xForwardedFor: '6.6.6.6, 1.1.1.1, 10.0.0.2' }), trusted('10.0.0.0/8'), '1.1.1.1', undefined],
    ['trusted: a forged leftmost entry is not believed', '10.0.0.1', h({ xForwardedFor: '127.0.0.1, 203.0.113.5' }), trusted('10.0.0.0/8'), '203.0.113.5', undefined],
    ['trusted: all hops trusted gives the leftmost', '10.0.0.1', h({ xForwardedFor: '10.0.0.3, 10.0.0.2' }), trusted('10.0.0.0/8'), '10.0.0.3', undefined],
    ['trusted: Forwarded proto from the client hop', '10.0.0.1', h({ forwarded: 'for=1.1.1.1;proto=https, for=10.0.0.2;proto=http' }), trusted('10.0.0.0/8'), '1.1.1.1', 'https'],
    ['trusted: X-Forwarded-Proto from the trusted peer', '10.0.0.1', h({ xForwardedFor: '1.1.1.1', xForwardedProto: 'https' }), trusted('10.0.0.0/8'), '1.1.1.1', 'https'],
    ['trusted: garbage stops the walk at the last good hop', '10.0.0.1', h({ xForwardedFor: 'garbage, 10.0.0.2' }), trusted('10.0.0.0/8'), '10.0.0.2', undefined],
    ['trusted: IPv6 ranges', '::1', h({ xForwardedFor: '2001:db8::5' }), trusted('::1'), '2001:db8::5', undefined],
    // The client sends `Forwarded: "` and a proxy appends its element: the open quote must not swallow it.
    ['trusted: a quote the client left open does not hide the hop a proxy appended', '10.0.0.1', h({ forwarded: '", for=203.0.113.9' }), trusted('10.0.0.0/8'), '203.0.113.9', undefined],
    ['trusted: an escaped backslash before a closing quote ends the quoted string', '10.0.0.1', h({ forwarded: 'by="\\\\";for="[2001:db8:ffff::]"' }), trusted('10.0.0.0/8'), '2001:db8:ffff::', undefined],
    ['unknown proto values are ignored', '10.0.0.1', h({ xForwardedFor: '1.1.1.1', xForwardedProto: 'gopher' }), any, '1.1.1.1', undefined],
  ];
  for (const [name, peer, headers, config, ip, proto] of cases) {
    test(name, () => assert.deepEqual(resolveClient(peer, headers, config), { ip, forwardedProto: proto }));
  }
});
