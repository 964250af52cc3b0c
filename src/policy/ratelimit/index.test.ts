import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateCounter, rateLimitHeaders } from './index.js';

const rate = { requests: 3, periodMs: 1000 };

test('counts per key within a window, then refuses, then recovers', () => {
  const c = new MemoryRateCounter();
  try {
    assert.deepEqual([1, 2, 3, 4].map((i) => c.hit('a', rate, 10_000 + i)), [true, true, true, false]);
    assert.equal(c.hit('b', rate, 10_005), true, 'another key has its own window');
    assert.equal(c.hit('a', rate, 10_500), false);
    const refused = c.status('a', rate, 10_500);
    assert.equal(refused.allowed, false);
    assert.equal(refused.remaining, 0);
    assert.equal(refused.resetMs, 501);
    assert.equal(c.hit('a', rate, 11_001), true, 'a new window starts after the period');
    assert.deepEqual(c.status('a', rate, 11_001), { allowed: true, remaining: 2, resetMs: 1000 });
  } finally {
    c.close();
  }
});

test('sweep forgets windows that ended', () => {
  const c = new MemoryRateCounter();
  try {
    c.hit('a', rate, 0);
    c.hit('b', { requests: 3, periodMs: 120_000 }, 0);
    c.sweep(60_000);
    assert.equal(c.size, 2, 'the two-minute window is still running');
    c.sweep(120_000);
    assert.equal(c.size, 0);
  } finally {
    c.close();
  }
});

test('429 headers: Retry-After and the IETF RateLimit fields', () => {
  assert.deepEqual(rateLimitHeaders('anonymous', { requests: 100, periodMs: 60_000 }, { allowed: false, remaining: 0, resetMs: 41_200 }), [
    'retry-after', '42',
    'ratelimit-policy', '"anonymous";q=100;w=60',
    'ratelimit', '"anonymous";r=0;t=42',
  ]);
  assert.equal(rateLimitHeaders('account', rate, { allowed: false, remaining: 0, resetMs: 0 })[1], '1', 'never Retry-After: 0');
});
