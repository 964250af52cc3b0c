import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measuringGroups, measuringSlots, NAMED_RATIOS, probeKey, SCENARIOS } from '../bench/plan.js';

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

  test('the proxies, which share the upstream, run one at a time; the other groups at once', () => {
    const proxied = groups.find((g) => g.probes[0]!.request === 'proxied')!;
    assert.equal(proxied.together, false);
    assert.ok(groups.filter((g) => g !== proxied).every((g) => g.together));
    const slots = measuringSlots(groups, false);
    assert.equal(slots.length, groups.length - 1 + proxied.probes.length);
    assert.ok(slots.some((slot) => slot.length > 2));
    for (const slot of slots.filter((s) => s.some((p) => p.request === 'proxied'))) assert.equal(slot.length, 1);
  });

  test('--one-at-a-time: every slot is one probe, in group order', () => {
    const slots = measuringSlots(groups, true);
    assert.ok(slots.every((slot) => slot.length === 1));
    assert.deepEqual(slots.flat().map(probeKey), groups.flatMap((g) => g.probes.map(probeKey)));
  });
});
