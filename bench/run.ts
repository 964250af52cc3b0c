// `npm run bench`: starts every server under test as its own pinned process, checks each
// answers correctly, loads the servers compared with each other at the same time, in rounds,
// prints the table and the named ratios, writes bench/results/latest.json, and stops
// everything it started.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuSeconds } from './cpu.js';
import { startFleet, type RunningServer } from './fleet.js';
import { autocannonGenerator, totalErrors, wrkAvailable, wrkGenerator, type LoadGenerator, type LoadResult, type LoadSpec } from './load.js';
import { findNginx, nginxVersion } from './nginx.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { createBenchCertificate, type BenchCertificate } from './pki.js';
import { measuringGroups, measuringSlots, probeKey, selectScenarios, SERVERS, slotKey, type Probe, type ServerId } from './plan.js';
import { ChildProcesses, installCleanup, pinningAvailable } from './processes.js';
import { startReloads, unsuccessfulReloads } from './reloads.js';
import { formatSummary, summarize, type RunResult } from './report.js';
import { loadSpec, probeRequest, verifyTarget } from './targets.js';
import { verifyResponse, type VerifiedResponse } from './verify.js';

const SERVER_CPU = 0;
const LOAD_CPU = 1;
/** Per measured run, beyond warm-up and duration: verification, process start-up, wrk exit. */
const SLACK_PER_RUN_SECONDS = 4;
const SLACK_TOTAL_SECONDS = 60;
const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scenarios = selectScenarios(options.only);
  const planned = measuringGroups(scenarios);
  const wanted = new Set(planned.flatMap((g) => g.probes.map((p) => p.server)));
  const nginx = wanted.has('nginx') ? findNginx() : undefined;
  // Servers that cannot run here are skipped with a note, never a failed run.
  const notMeasured = unavailableServers(wanted, nginx);
  const groups = planned.map((g) => ({ ...g, probes: g.probes.filter((p) => !notMeasured.has(p.server)) })).filter((g) => g.probes.length > 0);
  const slots = measuringSlots(scenarios, groups, options.oneAtATime);
  const serverIds = [...new Set(slots.flat().map((p) => p.server))];

  const pin = pinningAvailable();
  const children = new ChildProcesses(pin);
  const workDir = mkdtempSync(join(tmpdir(), 'parapet-bench-'));
  const cleanup = installCleanup(children, workDir);
  const runSeconds = options.warmupSeconds + options.durationSeconds;
  const plannedSeconds = options.rounds * slots.length * runSeconds;
  const budgetSeconds = plannedSeconds + options.rounds * slots.length * SLACK_PER_RUN_SECONDS + SLACK_TOTAL_SECONDS;
  const watchdog = setTimeout(() => void cleanup.abort(`time budget of ${budgetSeconds} s exceeded`, 1), budgetSeconds * 1000);
  watchdog.unref();

  try {
    const generator = chooseGenerator(options, children, workDir);
    const startLoad = loadavg();
    printPreamble(options, generator, pin, slots, plannedSeconds, startLoad);
    for (const [id, reason] of notMeasured) log(`note: ${id} is not measured: ${reason}; its ratios are reported as not measured`);
    const certificate = await createBenchCertificate(workDir);
    const fleet = await startFleet(
      serverIds.map((id) => SERVERS[id]),
      { children, serverCpu: SERVER_CPU, certificate, workDir, nginx },
    );
    log(`started ${serverIds.join(', ')} on CPU ${SERVER_CPU}`);

    const { measurements, verification } = await runRounds(slots, fleet, generator, certificate, options);
    const summary = summarize(scenarios, measurements, notMeasured);
    if (slots.some((slot) => slot.length > 1)) {
      process.stdout.write(`\nreq/s of servers measured at once are their shares of CPU ${SERVER_CPU}; the ratios and cpu µs/req compare them.\n`);
    }
    process.stdout.write(`\n${formatSummary(summary)}\n`);
    printVerification(verification);
    const endLoad = loadavg();
    writeResults({
      generatedAt: new Date().toISOString(),
      options,
      environment: { ...environment(generator, pin, startLoad, endLoad), nginx: nginx === undefined ? undefined : nginxVersion(nginx) },
      servers: Object.fromEntries(serverIds.map((id) => [id, SERVERS[id]])),
      notMeasured: Object.fromEntries(notMeasured),
      verification: Object.fromEntries(verification),
      ...summary,
    });
    process.stdout.write(`\nresults written to ${RESULTS_FILE}\n`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup.done();
  }
}

/** Servers the chosen scenarios want that cannot run on this machine, with the reason. */
function unavailableServers(wanted: ReadonlySet<ServerId>, nginx: string | undefined): Map<ServerId, string> {
  const missing = new Map<ServerId, string>();
  if (wanted.has('nginx') && nginx === undefined) missing.set('nginx', 'nginx is not installed (apt-get install nginx)');
  return missing;
}

interface RoundsOutcome {
  /** By slot (`slotKey`), then by probe. */
  readonly measurements: Map<string, Map<string, RunResult[]>>;
  readonly verification: Map<string, VerifiedResponse>;
}

async function runRounds(
  slots: readonly (readonly Probe[])[],
  fleet: ReadonlyMap<string, RunningServer>,
  generator: LoadGenerator,
  certificate: BenchCertificate,
  options: BenchOptions,
): Promise<RoundsOutcome> {
  const measurements = new Map<string, Map<string, RunResult[]>>();
  const verification = new Map<string, VerifiedResponse>();
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate the direction so no server always runs first or last in a round.
    const roundSlots = round % 2 === 1 ? slots : [...slots].reverse();
    for (const slot of roundSlots) {
      const runs = slot.map((probe) => {
        const server = fleet.get(probe.server)!;
        return { probe, key: probeKey(probe), server, request: probeRequest(probe, server) };
      });
      for (const r of runs) verification.set(r.key, await verifyResponse(verifyTarget(r.probe, r.server, r.request, certificate)));
      const results = await loadAtOnce(runs, generator, options);
      const bySlot = measurements.get(slotKey(slot)) ?? new Map<string, RunResult[]>();
      measurements.set(slotKey(slot), bySlot);
      runs.forEach((r, i) => {
        const { result, reloadsSent } = results[i]!;
        bySlot.set(r.key, [...(bySlot.get(r.key) ?? []), result]);
        const cpu = result.serverCpuUsPerRequest === null ? '' : `  server cpu ${result.serverCpuUsPerRequest.toFixed(1)} µs/req`;
        const sent = r.server.definition.reloadEveryMs === undefined ? '' : `  ${reloadsSent} reloads`;
        const shared = runs.length > 1 ? `  (with ${runs.filter((o) => o !== r).map((o) => o.probe.server).join(', ')})` : '';
        log(`round ${round}/${options.rounds}  ${r.key.padEnd(34)} ${Math.round(result.requestsPerSecond).toString().padStart(7)} req/s  p99 ${result.p99Ms.toFixed(2)} ms${cpu}${sent}${shared}`);
      });
    }
  }
  return { measurements, verification };
}

interface SlotRun {
  readonly key: string;
  readonly server: RunningServer;
  readonly request: ReturnType<typeof probeRequest>;
}

/**
 * Warms up, then measures, every run of a slot at the same time: one load generator each,
 * started together, so a slow second on the machine falls on all of them.
 */
async function loadAtOnce(runs: readonly SlotRun[], generator: LoadGenerator, options: BenchOptions): Promise<{ result: RunResult; reloadsSent: number }[]> {
  // Reloads run through the warm-up too, so the measured run sees them in their steady state.
  const reloads = runs.map((r) => (r.server.definition.reloadEveryMs === undefined ? undefined : startReloads(r.server.child, r.server.definition.reloadEveryMs)));
  let results: RunResult[];
  let sent: number[] = [];
  try {
    if (options.warmupSeconds > 0) await Promise.all(runs.map((r) => generator.run(loadSpec(r.request, options.connections, options.warmupSeconds))));
    results = await Promise.all(runs.map((r) => measure(generator, loadSpec(r.request, options.connections, options.durationSeconds), r.server)));
  } finally {
    sent = reloads.map((r) => r?.stop() ?? 0);
  }
  return runs.map((r, i) => {
    const result = results[i]!;
    checkRun(r.key, r.server, result);
    if (reloads[i]) checkReloads(r.key, r.server, result, sent[i]!);
    return { result, reloadsSent: sent[i]! };
  });
}

async function measure(generator: LoadGenerator, spec: LoadSpec, server: RunningServer): Promise<RunResult> {
  const pid = server.child.process.pid;
  const cpuBefore = processCpuSeconds(pid);
  const result = await generator.run(spec);
  const cpuAfter = processCpuSeconds(pid);
  const cpu = cpuBefore !== undefined && cpuAfter !== undefined && result.requests > 0 ? ((cpuAfter - cpuBefore) * 1e6) / result.requests : null;
  return { ...result, serverCpuUsPerRequest: cpu };
}

/** A run is only worth keeping if every response was a success and the server survived it. */
function checkRun(key: string, server: RunningServer, result: LoadResult): void {
  if (server.child.process.exitCode !== null || server.child.process.signalCode !== null) {
    throw new Error(`${server.definition.id} died during ${key}:\n${server.child.stderrTail() || '(no stderr)'}`);
  }
  if (result.requests === 0) throw new Error(`${key}: the load generator completed no request`);
  if (result.errors.status > 0) throw new Error(`${key}: ${result.errors.status} responses had an error status under load`);
  if (totalErrors(result.errors) > 0) log(`warning: ${key} had socket errors ${JSON.stringify(result.errors)}`);
}

/**
 * Reloads must lose nothing: a connection the server closed shows up in wrk as a read (or
 * write) error, so any is fatal here; a refused reload would mean nothing was reloaded.
 * Timeouts only warn, as for the other servers: a busy machine causes them too.
 */
function checkReloads(key: string, server: RunningServer, result: LoadResult, sent: number): void {
  const { connect, read, write } = result.errors;
  if (connect + read + write > 0) throw new Error(`${key}: connections failed or were closed during reloads: ${JSON.stringify(result.errors)}`);
  const unsuccessful = unsuccessfulReloads(server.child);
  if (unsuccessful.length > 0) throw new Error(`${key}: ${unsuccessful.length} of ${sent} reloads did not apply:\n${unsuccessful.slice(0, 3).join('\n')}`);
  if (sent === 0) throw new Error(`${key}: no SIGHUP could be sent`);
}

function chooseGenerator(options: BenchOptions, children: ChildProcesses, workDir: string): LoadGenerator {
  const haveWrk = wrkAvailable();
  if (options.loadGenerator === 'wrk' && !haveWrk) throw new Error('--load wrk: wrk is not installed (apt-get install wrk)');
  if (options.loadGenerator === 'autocannon' || !haveWrk) {
    if (!haveWrk) log('wrk is not installed: falling back to autocannon, which needs far more CPU per request; ratios are less trustworthy');
    return autocannonGenerator(children, LOAD_CPU);
  }
  return wrkGenerator(children, LOAD_CPU, workDir);
}

function printPreamble(options: BenchOptions, generator: LoadGenerator, pin: boolean, slots: readonly (readonly Probe[])[], plannedSeconds: number, load: number[]): void {
  const probes = slots.reduce((n, slot) => n + slot.length, 0);
  const together = slots.filter((slot) => slot.length > 1).length;
  log(
    `${probes} measurements in ${slots.length} runs${together > 0 ? ` (${together} of them load two servers at once)` : ''} × ${options.rounds} rounds, ` +
      `${options.warmupSeconds} s warm-up + ${options.durationSeconds} s each, ${options.connections} connections per server, ${generator.name}: about ${formatDuration(plannedSeconds)}`,
  );
  if (pin) log(`servers pinned to CPU ${SERVER_CPU}, ${generator.name} to CPU ${LOAD_CPU}`);
  else log(`warning: no pinning (taskset missing or fewer than 2 CPUs, have ${availableParallelism()}); server and load generator compete for CPU`);
  const busy = load[0]! > 0.5;
  log(`load average ${load.map((l) => l.toFixed(2)).join(' ')}${busy ? ' — the machine is busy, expect noisy numbers' : ''}`);
}

function printVerification(verification: ReadonlyMap<string, VerifiedResponse>): void {
  const sessions = new Set([...verification.values()].flatMap((v) => (v.tlsSession ? [v.tlsSession] : [])));
  if (sessions.size > 0) process.stdout.write(`\nTLS as negotiated by the verifying client: ${[...sessions].join(' | ')}\n`);
  for (const [key, v] of verification) {
    if (v.extraHeaders.length > 0) process.stdout.write(`note: ${key} also sends ${v.extraHeaders.join(', ')}\n`);
  }
}

function environment(generator: LoadGenerator, pin: boolean, startLoad: number[], endLoad: number[]) {
  const wrkVersion = generator.name === 'wrk' ? (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '').trim() : undefined;
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    pinned: pin ? { servers: SERVER_CPU, loadGenerator: LOAD_CPU } : false,
    loadGenerator: generator.name,
    wrkVersion,
    loadAverageAtStart: startLoad,
    loadAverageAtEnd: endLoad,
  };
}

function writeResults(results: unknown): void {
  mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}

const formatDuration = (seconds: number): string => (seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`\nbench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
