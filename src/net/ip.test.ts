import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpSet, ipv4ToInt, parseCidr, type Cidr } from './ip.js';

test('ipv4ToInt: strict dotted quads only', () => {
  const cases: [string, number | undefined][] = [
    ['0.0.0.0', 0], ['255.255.255.255', 4294967295], ['10.1.2.3', 167838211], ['192.0.2.1', 3221225985],
    ['256.0.0.1', undefined], ['1.2.3', undefined], ['1.2.3.4.5', undefined], ['1..2.3', undefined], ['1.2.3.', undefined],
    ['a.b.c.d', undefined], ['1.2.3.1234', undefined], ['::1', undefined], ['', undefined],
  ];
  for (const [ip, n] of cases) assert.equal(ipv4ToInt(ip), n, ip);
});

test('IpSet: range edges, single addresses, /0, IPv6, malformed input', () => {
  const set = new IpSet(['10.0.0.0/8', '192.0.2.0/24', '198.51.100.7', '2001:db8::/32', '::1'].map((c) => parseCidr(c) as Cidr));
  const cases: [string, boolean][] = [
    ['10.0.0.0', true], ['10.255.255.255', true], ['9.255.255.255', false], ['11.0.0.0', false],
    ['192.0.2.0', true], ['192.0.2.255', true], ['192.0.3.0', false],
    ['198.51.100.7', true], ['198.51.100.8', false],
    ['2001:db8::1', true], ['2001:db8:ffff::', true], ['2001:db9::', false], ['::1', true], ['::2', false],
    ['not an ip', false], ['', false],
  ];
  for (const [ip, expected] of cases) assert.equal(set.has(ip), expected, ip);
  const everything = new IpSet([parseCidr('0.0.0.0/0') as Cidr]);
  assert.equal(everything.has('203.0.113.9'), true);
  assert.equal(everything.has('::1'), false);
  // A range written with host bits set still means its network, as BlockList reads it.
  assert.equal(new IpSet([parseCidr('10.1.2.3/8') as Cidr]).has('10.200.0.1'), true);
});
