import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { medianInterval, pairedRatio } from '../bench/stats.js';

describe('bench statistics', () => {
  test('the median interval uses the order statistics whose binomial coverage reaches 95%', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1, unsorted on purpose
    const i20 = medianInterval(twenty);
    // n = 20: x(6) and x(15), coverage 1 − 2·P(B(20, ½) ≤ 5) = 0.9586…
    assert.deepEqual([i20.low, i20.high], [6, 15]);
    assert.ok(Math.abs(i20.coverage - 0.958610) < 1e-6, String(i20.coverage));
    const ten = medianInterval([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]);
    assert.deepEqual([ten.low, ten.high], [2, 9]);
    assert.ok(Math.abs(ten.coverage - (1 - 2 * (11 / 1024))) < 1e-12);
  });

  test('too few rounds for 95%: the whole range, with the coverage it really has', () => {
    const three = medianInterval([0.9, 1.1, 0.8]);
    assert.deepEqual([three.low, three.high], [0.8, 1.1]);
    assert.equal(three.coverage, 0.75);
    const one = medianInterval([1.02]);
    assert.deepEqual([one.low, one.high, one.coverage], [1.02, 1.02, 0]);
  });

  test('paired ratios are the median of the per-round ratios', () => {
    assert.equal(pairedRatio([10, 30, 20], [10, 10, 10]), 2);
  });
});
