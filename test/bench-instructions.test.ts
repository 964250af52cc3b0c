import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dumpTotal } from '../bench/callgrind.js';
import { countable, countedProbe, countedRatios, countPlan } from '../bench/instruction-plan.js';
import { NAMED_RATIOS, probeKey, SCENARIOS, selectScenarios, type NamedRatio } from '../bench/plan.js';

describe('instruction-count plan', () => {
  test('counts node servers answering from memory; not proxies, their upstream, nginx or the reloading server', () => {
    const plan = countPlan(SCENARIOS);
    const servers = [...plan.servers.keys()].sort();
    assert.deepEqual(servers, ['bare', 'fastify', 'parapet', 'parapet-cors-off', 'parapet-guarded', 'parapet-hsts-off', 'parapet-log-info']);
    for (const id of ['parapet-proxy', 'fastify-proxy', 'upstream', 'nginx', 'parapet-reloading'] as const) assert.equal(countable(id), false, id);
  });

  test('every probe of the chosen scenarios is counted once, by its own server', () => {
    const plan = countPlan(SCENARIOS);
    const keys = [...plan.servers.values()].flat().map(probeKey);
    assert.equal(new Set(keys).size, keys.length);
    for (const [server, probes] of plan.servers) assert.ok(probes.every((p) => p.server === server), server);
    assert.ok(keys.includes('bare/plain/preflight') && keys.includes('parapet/plain/preflight') && keys.includes('parapet-cors-off/plain/get'));
  });

  test('the named ratios kept are exactly those with both sides counted', () => {
    const plan = countPlan(SCENARIOS);
    const counted = new Set([...plan.servers.values()].flat().map(probeKey));
    const expected = NAMED_RATIOS.filter((r) => counted.has(probeKey(r.numerator)) && counted.has(probeKey(r.denominator))).map((r) => r.id);
    assert.deepEqual(plan.ratios.map((r) => r.id), expected);
    assert.ok(expected.includes('parapet-vs-bare-preflight') && expected.includes('cors-cost-get'));
    assert.ok(!plan.ratios.some((r) => r.numerator.request === 'proxied'));
  });

  test('--only narrows the servers and ratios to the chosen scenarios', () => {
    const plan = countPlan(selectScenarios(['preflight']));
    assert.deepEqual([...plan.servers.keys()], ['bare', 'parapet']);
    assert.deepEqual(plan.ratios.map((r) => r.id), ['parapet-vs-bare-preflight']);
  });
});

describe('instruction-count ratios', () => {
  const ratio = (id: string): NamedRatio => NAMED_RATIOS.find((r) => r.id === id)!;
  const counted = (entries: [string, number[]][]) =>
    new Map(entries.map(([key, windows]) => {
      const [server, transport, request] = key.split('/') as [never, never, never];
      return [key, countedProbe({ server, transport, request }, windows)];
    }));

  test('a ratio is the yardstick\'s count over the server\'s, from the medians of the windows', () => {
    const [r] = countedRatios([ratio('parapet-vs-bare-preflight')], counted([
      ['parapet/plain/preflight', [63_000, 90_000, 62_000]],
      ['bare/plain/preflight', [60_000, 60_500, 59_000]],
    ]));
    assert.equal(r!.value, 60_000 / 63_000);
    assert.equal(r!.verdict, 'met');
    const [missed] = countedRatios([ratio('parapet-vs-bare-preflight')], counted([
      ['parapet/plain/preflight', [64_000]],
      ['bare/plain/preflight', [60_000]],
    ]));
    assert.equal(missed!.verdict, 'MISSED');
  });

  test('a cost is the extra work of the numerator over the denominator', () => {
    const [r] = countedRatios([ratio('cors-cost-get')], counted([
      ['parapet/plain/get', [58_800]],
      ['parapet-cors-off/plain/get', [56_000]],
    ]));
    assert.ok(Math.abs(r!.value - 0.05) < 1e-9);
    assert.equal(r!.verdict, 'MISSED');
  });

  test('a ratio missing a side is left out, not reported as zero', () => {
    assert.deepEqual(countedRatios([ratio('parapet-vs-bare-preflight')], counted([['bare/plain/preflight', [60_000]]])), []);
    assert.throws(() => countedProbe({ server: 'bare', transport: 'plain', request: 'get' }, []), /no counted window/);
  });
});

describe('callgrind dump', () => {
  test('the total is read from the totals line, not from a summary that reads 0', () => {
    const dump = 'version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 0\n\nfn=(1) main\n5 100\ntotals: 883874392\n';
    assert.equal(dumpTotal(dump), 883_874_392);
    assert.throws(() => dumpTotal('summary: 12\n'), /no totals line/);
  });
});
