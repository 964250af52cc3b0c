// Turns raw runs into the summary (medians, paired ratios, targets met or missed), prints
// it as a table and shapes it for bench/results/latest.json.
import { totalErrors, type LoadResult } from './load.js';
import { NAMED_RATIOS, probeKey, scenarioProbes, type NamedRatio, type Probe, type Scenario, type ServerId } from './plan.js';
import { median, medianInterval, pairedRatio, roundRatios, spread, type MedianInterval } from './stats.js';

/** One measured run: what the load generator saw, and what the server spent. */
export interface RunResult extends LoadResult {
  /** Server CPU (user + system) per completed request, in µs; null where /proc is missing. */
  readonly serverCpuUsPerRequest: number | null;
}

/** Every round's result for each probe, in round order, by the slot (`slotKey`) it was measured in. */
export type Measurements = ReadonlyMap<string, ReadonlyMap<string, readonly RunResult[]>>;

export interface ProbeSummary {
  readonly key: string;
  /** The probes measured at the same time as this one (`slotKey`). */
  readonly slot: string;
  readonly probe: Probe;
  readonly medianRequestsPerSecond: number;
  readonly medianP99Ms: number;
  readonly medianServerCpuUsPerRequest: number | null;
  /** (max − min) / median of requests/s over the rounds. */
  readonly spread: number;
  readonly errors: number;
  readonly rounds: readonly RunResult[];
}

export interface ScenarioRow {
  readonly server: ServerId;
  /** The probe's key in `probes`. */
  readonly probe: string;
  readonly medianRequestsPerSecond: number;
  readonly medianP99Ms: number;
  readonly medianServerCpuUsPerRequest: number | null;
  readonly spread: number;
  readonly errors: number;
  /** Paired ratio of requests/s to the scenario's first server (bare); 1 for bare itself. */
  readonly vsBaseline: number;
  /** The same judged by CPU per request (baseline's / this one's), null without /proc. */
  readonly vsBaselineByCpu: number | null;
}

export interface ScenarioSummary {
  readonly id: string;
  readonly title: string;
  readonly rows: readonly ScenarioRow[];
  /** Servers of the scenario that could not run here (nginx not installed), with why. */
  readonly notMeasured: readonly { readonly server: ServerId; readonly reason: string }[];
}

export interface RatioSummary {
  readonly id: string;
  readonly title: string;
  readonly kind: NamedRatio['kind'];
  /** From requests/s; the targets are judged on this. null when a side was not measured. */
  readonly value: number | null;
  /** From server CPU per request: steadier when the machine is shared. */
  readonly valueByCpu: number | null;
  readonly target: string | undefined;
  /**
   * The 95% confidence interval of `value` over the rounds (`medianInterval`): on a shared
   * machine single rounds disagree widely, and the interval says how far the median can be
   * trusted. null when not measured.
   */
  readonly interval: MedianInterval | null;
  /**
   * Judged on the interval: `met` when all of it meets the target, `missed` when none of it
   * does, `unsure` when the target lies inside it (more rounds narrow it). undefined when
   * the ratio has no target or was not measured.
   */
  readonly verdict: 'met' | 'missed' | 'unsure' | undefined;
  /** Why a side could not be measured here, e.g. `nginx is not installed`. */
  readonly notMeasured?: string;
}

export interface Summary {
  readonly scenarios: readonly ScenarioSummary[];
  readonly ratios: readonly RatioSummary[];
  readonly probes: readonly ProbeSummary[];
}

const throughput = (runs: readonly RunResult[]): number[] => runs.map((r) => r.requestsPerSecond);

function cpuPerRequest(runs: readonly RunResult[]): number[] | null {
  const values = runs.map((r) => r.serverCpuUsPerRequest);
  return values.every((v): v is number => v !== null && v > 0) ? values : null;
}

/** Higher is better for both: throughput ratio a/b, and CPU efficiency ratio cpu(b)/cpu(a). */
function ratios(a: readonly RunResult[], b: readonly RunResult[]): { byThroughput: number; byCpu: number | null } {
  const cpuA = cpuPerRequest(a);
  const cpuB = cpuPerRequest(b);
  return { byThroughput: pairedRatio(throughput(a), throughput(b)), byCpu: cpuA && cpuB ? pairedRatio(cpuB, cpuA) : null };
}

/** What a table row shows of one probe's rounds. */
function medians(rounds: readonly RunResult[]): Pick<ProbeSummary, 'medianRequestsPerSecond' | 'medianP99Ms' | 'medianServerCpuUsPerRequest' | 'spread' | 'errors'> {
  const cpu = cpuPerRequest(rounds);
  return {
    medianRequestsPerSecond: median(throughput(rounds)),
    medianP99Ms: median(rounds.map((r) => r.p99Ms)),
    medianServerCpuUsPerRequest: cpu ? median(cpu) : null,
    spread: spread(throughput(rounds)),
    errors: rounds.reduce((sum, r) => sum + totalErrors(r.errors), 0),
  };
}

/**
 * The rounds of two probes to compare: from a slot that measured both at once, else each
 * from a slot of its own (measured one after the other). undefined when a side is missing.
 */
function compared(measurements: Measurements, a: Probe, b: Probe): [readonly RunResult[], readonly RunResult[]] | undefined {
  const ka = probeKey(a);
  const kb = probeKey(b);
  for (const bySlot of measurements.values()) {
    const ra = bySlot.get(ka);
    const rb = bySlot.get(kb);
    if (ra && rb && ra.length > 0 && rb.length > 0) return [ra, rb];
  }
  const alone = (k: string) => [...measurements.values()].find((bySlot) => bySlot.size === 1 && (bySlot.get(k)?.length ?? 0) > 0)?.get(k);
  const ra = alone(ka);
  const rb = alone(kb);
  return ra && rb ? [ra, rb] : undefined;
}

/** `notMeasured`: servers of the chosen scenarios that could not run here, with the reason. */
export function summarize(scenarios: readonly Scenario[], measurements: Measurements, notMeasured: ReadonlyMap<ServerId, string> = new Map()): Summary {
  const probes: ProbeSummary[] = [];
  for (const [slot, bySlot] of measurements) {
    for (const [key, rounds] of bySlot) {
      const [server, transport, request] = key.split('/') as [ServerId, Probe['transport'], Probe['request']];
      probes.push({ key, slot, probe: { server, transport, request }, ...medians(rounds), rounds });
    }
  }
  const row = (p: Probe, rounds: readonly RunResult[], base: readonly RunResult[]): ScenarioRow => {
    const r = ratios(rounds, base);
    return { server: p.server, probe: probeKey(p), ...medians(rounds), vsBaseline: r.byThroughput, vsBaselineByCpu: r.byCpu };
  };

  const scenarioSummaries = scenarios.map((s) => {
    const [baseline, ...others] = scenarioProbes(s);
    // Each row is compared with the baseline measured alongside it; the baseline's own row
    // is its first such measurement.
    const pairs = others.flatMap((p) => {
      const both = compared(measurements, p, baseline!);
      return both ? [{ p, rounds: both[0], base: both[1] }] : [];
    });
    const baseRounds = pairs[0]?.base ?? compared(measurements, baseline!, baseline!)?.[0];
    const rows = [...(baseRounds ? [row(baseline!, baseRounds, baseRounds)] : []), ...pairs.map(({ p, rounds, base }) => row(p, rounds, base))];
    const skipped = s.servers.flatMap((server) => {
      const reason = notMeasured.get(server);
      return reason === undefined ? [] : [{ server, reason }];
    });
    return { id: s.id, title: s.title, rows, notMeasured: skipped };
  });

  const named = NAMED_RATIOS.flatMap((r): RatioSummary[] => {
    const both = compared(measurements, r.numerator, r.denominator);
    if (!both) {
      // Reported as not measured only when the ratio belongs to the chosen scenarios: every
      // side was either measured or skipped for a reason.
      const sides = [r.numerator, r.denominator];
      const measured = (p: Probe) => probes.some((m) => m.key === probeKey(p));
      const reason = sides.map((p) => notMeasured.get(p.server)).find((why) => why !== undefined);
      if (reason === undefined || !sides.every((p) => measured(p) || notMeasured.has(p.server))) return [];
      return [{ id: r.id, title: r.title, kind: r.kind, value: null, valueByCpu: null, target: describeTarget(r), interval: null, verdict: undefined, notMeasured: reason }];
    }
    const [num, den] = both;
    const { byThroughput, byCpu } = ratios(num, den);
    const value = r.kind === 'ratio' ? byThroughput : 1 - byThroughput;
    const valueByCpu = byCpu === null ? null : r.kind === 'ratio' ? byCpu : 1 - byCpu;
    const ofRatio = medianInterval(roundRatios(throughput(num), throughput(den)));
    // A cost is 1 − ratio: its interval is the ratio's, turned around.
    const interval = r.kind === 'ratio' ? ofRatio : { low: 1 - ofRatio.high, high: 1 - ofRatio.low, coverage: ofRatio.coverage };
    return [{ id: r.id, title: r.title, kind: r.kind, value, valueByCpu, target: describeTarget(r), interval, verdict: judge(r, interval) }];
  });

  return { scenarios: scenarioSummaries, ratios: named, probes };
}

function judge(r: NamedRatio, interval: MedianInterval): RatioSummary['verdict'] {
  const { atLeast, below } = r.target ?? {};
  if (atLeast !== undefined) return interval.low >= atLeast ? 'met' : interval.high < atLeast ? 'missed' : 'unsure';
  if (below !== undefined) return interval.high < below ? 'met' : interval.low >= below ? 'missed' : 'unsure';
  return undefined;
}

/** `≥ 0.95`, `< 3.0%`; undefined without a target. */
export function describeTarget(r: NamedRatio): string | undefined {
  if (r.target?.atLeast !== undefined) return `≥ ${formatValue(r.kind, r.target.atLeast)}`;
  if (r.target?.below !== undefined) return `< ${formatValue(r.kind, r.target.below)}`;
  return undefined;
}

const formatValue = (kind: NamedRatio['kind'], v: number): string => (kind === 'cost' ? `${(v * 100).toFixed(1)}%` : v.toFixed(2));
const orDash = (v: number | null, format: (v: number) => string): string => (v === null ? '–' : format(v));

export function formatSummary(summary: Summary): string {
  const header = ['scenario', 'server', 'req/s', 'spread', 'p99 ms', 'vs bare', 'cpu µs/req', 'vs bare (cpu)', 'errors'];
  // A server skipped here (nginx not installed) keeps its row, with dashes and the reason.
  const groups = summary.scenarios.map((s) => [
    ...s.rows.map((row) => ({
      server: row.server,
      cells: [
        Math.round(row.medianRequestsPerSecond).toLocaleString('en-US'),
        `${(row.spread * 100).toFixed(1)}%`,
        row.medianP99Ms.toFixed(2),
        row.vsBaseline.toFixed(3),
        orDash(row.medianServerCpuUsPerRequest, (v) => v.toFixed(1)),
        orDash(row.vsBaselineByCpu, (v) => v.toFixed(3)),
        String(row.errors),
      ],
      note: '',
    })),
    ...s.notMeasured.map(({ server, reason }) => ({ server, cells: header.slice(2).map(() => '–'), note: `  not measured: ${reason}` })),
  ].map((row, i) => ({ cells: [i === 0 ? s.id : '', row.server, ...row.cells], note: row.note })));
  const widths = header.map((h, c) => Math.max(h.length, ...groups.flat().map((r) => r.cells[c]!.length)));
  const format = (r: readonly string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  groups.forEach((rows, i) => {
    if (i > 0) lines.push('');
    for (const r of rows) lines.push(format(r.cells) + r.note);
  });

  lines.push('', 'Scenarios:');
  for (const s of summary.scenarios) lines.push(`  ${s.id.padEnd(10)} ${s.title}`);

  lines.push(
    '',
    'Named ratios (median of per-round ratios, and its confidence interval over the rounds; targets judged on req/s',
    'against the whole interval: met, MISSED, or unsure when the target lies inside it; the CPU column is the cross-check):',
  );
  const titleWidth = Math.max(0, ...summary.ratios.map((r) => r.title.length));
  const coverage = summary.ratios.find((r) => r.interval !== null)?.interval?.coverage;
  const intervalTitle = coverage === undefined ? 'interval' : `${Math.floor(coverage * 100)}% interval`;
  const intervals = summary.ratios.map((r) => (r.interval === null ? '–' : `${formatValue(r.kind, r.interval.low)} – ${formatValue(r.kind, r.interval.high)}`));
  const intervalWidth = Math.max(intervalTitle.length, ...intervals.map((i) => i.length));
  lines.push(`  ${''.padEnd(titleWidth)}  ${'req/s'.padStart(6)}  ${intervalTitle.padStart(intervalWidth)}  ${'cpu'.padStart(6)}  target`);
  summary.ratios.forEach((r, i) => {
    const verdict = r.notMeasured !== undefined ? `not measured: ${r.notMeasured}` : r.verdict === undefined ? '' : r.verdict === 'missed' ? 'MISSED' : r.verdict;
    const value = orDash(r.value, (v) => formatValue(r.kind, v));
    const cpu = orDash(r.valueByCpu, (v) => formatValue(r.kind, v));
    lines.push(`  ${r.title.padEnd(titleWidth)}  ${value.padStart(6)}  ${intervals[i]!.padStart(intervalWidth)}  ${cpu.padStart(6)}  ${(r.target ?? '').padEnd(7)} ${verdict}`.trimEnd());
  });
  if (coverage !== undefined && coverage < 0.95) {
    lines.push(`  (with ${coverage === 0 ? 'one round' : 'so few rounds'} the interval is the rounds' whole range; --rounds 6 or more makes it a 95% interval)`);
  }
  return lines.join('\n');
}
