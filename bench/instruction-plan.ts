// What `npm run bench:instructions` counts, and how the counts become the named ratios.
//
// Instructions per request, counted by callgrind, are the same from one run to the next to
// within a fraction of a percent on a machine whose throughput swings by half. They cover the
// server's own work in user space (every thread of it); they leave out the kernel's share
// (the same for servers that make the same system calls) and how fast the CPU runs those
// instructions (caches, branch prediction). So they are the steady cross-check of the
// throughput bench, not a replacement for it.
import { describeTarget } from './report.js';
import { median } from './stats.js';
import { NAMED_RATIOS, SERVERS, probeKey, scenarioProbes, type NamedRatio, type Probe, type Scenario, type ServerId } from './plan.js';

/**
 * Servers that can be counted on their own: node processes answering from memory. Proxies
 * are left out (their upstream would be counted with them), and so is the reloading server
 * (its work depends on the clock, not on the requests).
 */
export function countable(id: ServerId): boolean {
  const d = SERVERS[id];
  return d.implementation !== 'nginx' && d.implementation !== 'upstream' && !d.proxy && d.reloadEveryMs === undefined;
}

export interface CountPlan {
  /** Each server's probes, counted one after the other in the same process. */
  readonly servers: ReadonlyMap<ServerId, readonly Probe[]>;
  /** The named ratios whose two sides are both counted. */
  readonly ratios: readonly NamedRatio[];
}

export function countPlan(scenarios: readonly Scenario[]): CountPlan {
  const probes = new Map<string, Probe>();
  for (const s of scenarios) for (const p of scenarioProbes(s)) if (countable(p.server)) probes.set(probeKey(p), p);
  const servers = new Map<ServerId, Probe[]>();
  for (const p of probes.values()) servers.set(p.server, [...(servers.get(p.server) ?? []), p]);
  const ratios = NAMED_RATIOS.filter((r) => probes.has(probeKey(r.numerator)) && probes.has(probeKey(r.denominator)));
  return { servers, ratios };
}

export interface CountedProbe {
  readonly probe: Probe;
  /** Instructions per request in each measured window. */
  readonly windows: readonly number[];
  readonly median: number;
}

export interface CountedRatio {
  readonly ratio: NamedRatio;
  /**
   * For a ratio: the denominator's instructions per request over the numerator's, so that it
   * reads like the throughput ratio (1.0 = as much work, above 1 = less). For a cost: the
   * numerator's over the denominator's, less one.
   */
  readonly value: number;
  readonly verdict: 'met' | 'MISSED' | undefined;
}

export function countedProbe(probe: Probe, windows: readonly number[]): CountedProbe {
  if (windows.length === 0) throw new Error(`${probeKey(probe)} has no counted window`);
  return { probe, windows, median: median(windows) };
}

export function countedRatios(ratios: readonly NamedRatio[], counted: ReadonlyMap<string, CountedProbe>): CountedRatio[] {
  return ratios.flatMap((ratio) => {
    const num = counted.get(probeKey(ratio.numerator));
    const den = counted.get(probeKey(ratio.denominator));
    if (!num || !den) return [];
    const value = ratio.kind === 'ratio' ? den.median / num.median : num.median / den.median - 1;
    const t = ratio.target;
    const verdict = t?.atLeast !== undefined ? (value >= t.atLeast ? 'met' : 'MISSED') : t?.below !== undefined ? (value < t.below ? 'met' : 'MISSED') : undefined;
    return [{ ratio, value, verdict }];
  });
}

export function formatCounts(probes: readonly CountedProbe[], ratios: readonly CountedRatio[]): string {
  const rows = probes.map((c) => [
    probeKey(c.probe),
    Math.round(c.median).toLocaleString('en-US'),
    `${Math.round(Math.min(...c.windows)).toLocaleString('en-US')} – ${Math.round(Math.max(...c.windows)).toLocaleString('en-US')}`,
  ]);
  const lines = [table(['probe', 'instructions/request (median)', 'windows'], rows), '', 'Named ratios from instruction counts (a ratio is the denominator\'s count over the numerator\'s: 1.0 is as much work, above 1 less):'];
  for (const r of ratios) {
    const value = r.ratio.kind === 'ratio' ? r.value.toFixed(3) : `${(r.value * 100).toFixed(1)}%`;
    lines.push(`  ${r.ratio.title.padEnd(44)} ${value.padStart(7)}  ${(describeTarget(r.ratio) ?? '').padEnd(7)} ${r.verdict ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
