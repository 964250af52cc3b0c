import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, type Cidr } from '../../net/ip.js';
import { compileIpLists, IpStanding } from './ip-lists.js';

const cidrs = (...xs: string[]) => xs.map((x) => parseCidr(x) as Cidr);

test('blocked and allowed addresses and ranges, IPv4 and IPv6', () => {
  const lists = compileIpLists({ blocked: cidrs('192.0.2.0/24', '2001:db8::/32', '198.51.100.7'), allowed: cidrs('192.0.2.10') });
  const cases: [string, IpStanding][] = [
    ['192.0.2.1', IpStanding.Blocked],
    ['192.0.2.10', IpStanding.Allowed],
    ['198.51.100.7', IpStanding.Blocked],
    ['198.51.100.8', IpStanding.Normal],
    ['2001:db8::1', IpStanding.Blocked],
    ['2001:db9::1', IpStanding.Normal],
    ['not-an-ip', IpStanding.Normal],
  ];
  for (const [ip, standing] of cases) assert.equal(lists.standing(ip), standing, ip);
});

test('empty lists: everyone is normal', () => {
  assert.equal(compileIpLists({ blocked: [], allowed: [] }).standing('127.0.0.1'), IpStanding.Normal);
});
