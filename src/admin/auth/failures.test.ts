import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthFailureTracker, isLoopback } from './failures.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.parse('2025-01-01T00:00:00Z');
const IP = '203.0.113.7';

const failTimes = (tracker: AuthFailureTracker, ip: string, times: number, now = NOW): boolean[] =>
  Array.from({ length: times }, () => tracker.recordFailure(ip, now).banned);

describe('AuthFailureTracker', () => {
  test('the failure past the rate bans', () => {
    const tracker = new AuthFailureTracker({ requests: 3, periodMs: DAY }, 30 * MINUTE);
    assert.deepEqual(failTimes(tracker, IP, 3), [false, false, false]);
    assert.equal(tracker.isBanned(IP, NOW), false);
    assert.deepEqual(tracker.recordFailure(IP, NOW), { banned: true });
    assert.equal(tracker.isBanned(IP, NOW), true);
    assert.equal(tracker.isBanned('203.0.113.8', NOW), false, 'other addresses are unaffected');
  });

  test('the ban expires after banMs', () => {
    const tracker = new AuthFailureTracker({ requests: 1, periodMs: DAY }, 30 * MINUTE);
    failTimes(tracker, IP, 2);
    assert.equal(tracker.isBanned(IP, NOW + 30 * MINUTE - 1), true);
    assert.equal(tracker.isBanned(IP, NOW + 30 * MINUTE), false);
    // and the count starts over
    assert.equal(tracker.recordFailure(IP, NOW + 30 * MINUTE).banned, false);
  });

  test('failures while banned keep reporting banned', () => {
    const tracker = new AuthFailureTracker({ requests: 1, periodMs: DAY }, 30 * MINUTE);
    assert.deepEqual(failTimes(tracker, IP, 4), [false, true, true, true]);
  });

  test('the window resets after the period', () => {
    const tracker = new AuthFailureTracker({ requests: 3, periodMs: MINUTE }, DAY);
    assert.deepEqual(failTimes(tracker, IP, 3, NOW), [false, false, false]);
    assert.deepEqual(failTimes(tracker, IP, 3, NOW + MINUTE), [false, false, false]);
    assert.equal(tracker.recordFailure(IP, NOW + MINUTE + 1).banned, true);
  });

  test('a success forgets the failures so far', () => {
    const tracker = new AuthFailureTracker({ requests: 2, periodMs: DAY }, DAY);
    failTimes(tracker, IP, 2);
    tracker.recordSuccess(IP);
    assert.deepEqual(failTimes(tracker, IP, 2), [false, false]);
    assert.equal(tracker.recordFailure(IP, NOW).banned, true);
  });

  test('a success does not lift a ban', () => {
    const tracker = new AuthFailureTracker({ requests: 1, periodMs: DAY }, DAY);
    failTimes(tracker, IP, 2);
    tracker.recordSuccess(IP);
    assert.equal(tracker.isBanned(IP, NOW), true);
  });

  test('loopback is never banned', () => {
    const tracker = new AuthFailureTracker({ requests: 1, periodMs: DAY }, DAY);
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      assert.ok(failTimes(tracker, ip, 50).every((banned) => !banned), ip);
      assert.equal(tracker.isBanned(ip, NOW), false, ip);
    }
  });

  test('an IPv4 address counts the same in IPv4-mapped IPv6 form', () => {
    const tracker = new AuthFailureTracker({ requests: 2, periodMs: DAY }, DAY);
    tracker.recordFailure(IP, NOW);
    tracker.recordFailure(`::ffff:${IP}`, NOW);
    assert.equal(tracker.recordFailure(IP, NOW).banned, true);
    assert.equal(tracker.isBanned(`::FFFF:${IP}`, NOW), true);
  });

  test('IPv6 addresses are banned too', () => {
    const tracker = new AuthFailureTracker({ requests: 1, periodMs: DAY }, DAY);
    assert.deepEqual(failTimes(tracker, '2001:db8::1', 2), [false, true]);
    assert.equal(tracker.isBanned('2001:db8::1', NOW), true);
  });

  test('invalid settings throw', () => {
    for (const [rate, banMs] of [
      [{ requests: 0, periodMs: DAY }, DAY],
      [{ requests: 1.5, periodMs: DAY }, DAY],
      [{ requests: 1, periodMs: 0 }, DAY],
      [{ requests: 1, periodMs: Number.NaN }, DAY],
      [{ requests: 1, periodMs: DAY }, 0],
      [{ requests: 1, periodMs: DAY }, Number.POSITIVE_INFINITY],
    ] as const) {
      assert.throws(() => new AuthFailureTracker(rate, banMs), RangeError, JSON.stringify(rate));
    }
  });
});

describe('isLoopback', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['::', false],
    ['localhost', false],
    ['', false],
  ];
  for (const [ip, expected] of cases) test(ip || '(empty)', () => assert.equal(isLoopback(ip), expected));
});
