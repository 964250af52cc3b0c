import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measuringGroups, measuringSlots, NAMED_RATIOS, probeKey, scenarioProbes, SCENARIOS } from '../bench/plan.js';
import { summarize, type RunResult } from '../bench/report.js';

describe('bench plan', () => {
  const groups = measuringGroups(SCENARIOS);

  test('every probe is measured once, in exactly one group', () => {
    const keys = groups.flatMap((g) => g.probes.map(probeKey));
    assert.equal(new Set(keys).size, keys.length);
    for (const s of SCENARIOS) for (const server of s.servers) assert.ok(keys.includes(probeKey({ server, transport: s.transport, request: s.request })), `${s.id}/${server}`);
  });

  test('both sides of every named ratio fall in one group, so they are loaded at the same time', () => {
    for (const r of NAMED_RATIOS) {
      const holding = groups.filter((g) => g.probes.some((p) => probeKey(p) === probeKey(r.numerator)) && g.probes.some((p) => probeKey(p) === probeKey(r.denominator)));
      assert.equal(holding.length, 1, r.id);
    }
  });

  test('the proxies, which share the upstream, run one at a time; the other groups two at a time', () => {
    const proxied = groups.find((g) => g.probes[0]!.request === 'proxied')!;
    assert.equal(proxied.together, false);
    assert.ok(groups.filter((g) => g !== proxied).every((g) => g.together));
    const slots = measuringSlots(SCENARIOS, groups, false);
    for (const slot of slots) {
      if (slot.some((p) => p.request === 'proxied')) assert.equal(slot.length, 1);
      else assert.equal(slot.length, 2, slot.map(probeKey).join(' + '));
    }
  });

  test('every named ratio and every scenario row is measured alongside its partner, each pair once', () => {
    const slots = measuringSlots(SCENARIOS, groups, false);
    const pairKeys = slots.filter((s) => s.length === 2).map((s) => s.map(probeKey).sort().join(' + '));
    assert.equal(new Set(pairKeys).size, pairKeys.length);
    const measuredWith = (a: string, b: string) => slots.some((s) => s.some((p) => probeKey(p) === a) && s.some((p) => probeKey(p) === b));
    for (const r of NAMED_RATIOS.filter((r) => r.numerator.request !== 'proxied')) assert.ok(measuredWith(probeKey(r.numerator), probeKey(r.denominator)), r.id);
    for (const s of SCENARIOS.filter((s) => !s.oneAtATime)) {
      const [first, ...others] = scenarioProbes(s).map(probeKey);
      for (const o of others) assert.ok(measuredWith(first!, o), `${s.id}: ${o}`);
    }
    // The yardstick comes first in a pair.
    assert.ok(slots.filter((s) => s.length === 2 && s.some((p) => p.server === 'bare')).every((s) => s[0]!.server === 'bare'));
  });

  test('--one-at-a-time: every slot is one probe, in group order', () => {
    const slots = measuringSlots(SCENARIOS, groups, true);
    assert.ok(slots.every((slot) => slot.length === 1));
    assert.deepEqual(slots.flat().map(probeKey), groups.flatMap((g) => g.probes.map(probeKey)));
  });
});

describe('bench summary', () => {
  const run = (requestsPerSecond: number, cpu: number): RunResult => ({
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    requests: requestsPerSecond * 3,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
    serverCpuUsPerRequest: cpu,
  });
  const bare = { server: 'bare', transport: 'plain', request: 'preflight' } as const;
  const parapet = { server: 'parapet', transport: 'plain', request: 'preflight' } as const;
  const preflight = SCENARIOS.filter((s) => s.id === 'preflight');

  test('a ratio pairs rounds measured at the same time, and is judged on its interval', () => {
    // Each round the machine's speed differs, but both sides see the same speed.
    const speeds = [1, 0.5, 1.2, 0.8, 0.9, 1.1];
    const slot = new Map([
      [probeKey(bare), speeds.map((v) => run(10_000 * v, 40 / v))],
      [probeKey(parapet), speeds.map((v) => run(9_700 * v, 41 / v))],
    ]);
    const summary = summarize(preflight, new Map([[`${probeKey(bare)} + ${probeKey(parapet)}`, slot]]));
    const ratio = summary.ratios.find((r) => r.id === 'parapet-vs-bare-preflight')!;
    assert.ok(Math.abs(ratio.value! - 0.97) < 1e-9);
    assert.ok(Math.abs(ratio.interval!.low - 0.97) < 1e-9 && Math.abs(ratio.interval!.high - 0.97) < 1e-9);
    assert.equal(ratio.verdict, 'met');
    assert.deepEqual(summary.scenarios[0]!.rows.map((r) => r.server), ['bare', 'parapet']);
  });

  test('one at a time: each side comes from its own slot', () => {
    const summary = summarize(
      preflight,
      new Map([
        [probeKey(bare), new Map([[probeKey(bare), [10, 10, 10, 10, 10, 10].map((v) => run(v * 1000, 40))]])],
        [probeKey(parapet), new Map([[probeKey(parapet), [9, 9, 9, 9, 9, 9].map((v) => run(v * 1000, 45))]])],
      ]),
    );
    const ratio = summary.ratios.find((r) => r.id === 'parapet-vs-bare-preflight')!;
    assert.ok(Math.abs(ratio.value! - 0.9) < 1e-9);
    assert.equal(ratio.verdict, 'missed');
  });
});
