// `npm run bench:instructions`: the same servers and requests as `npm run bench`, each server
// run under callgrind, and the instructions it executes per request counted over fixed windows
// of requests after a warm-up. See instruction-plan.ts for what the counts do and do not say.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callgrindArgs, countInstructions, valgrindAvailable } from './callgrind.js';
import { sendRequests, type CountTarget } from './count-client.js';
import { startFleet } from './fleet.js';
import { countedProbe, countedRatios, countPlan, formatCounts, type CountedProbe } from './instruction-plan.js';
import { createBenchCertificate, type BenchCertificate } from './pki.js';
import { probeKey, selectScenarios, SERVERS, type Probe, type ServerId } from './plan.js';
import { ChildProcesses, installCleanup } from './processes.js';
import { probeRequest, verifyTarget } from './targets.js';
import { verifyResponse } from './verify.js';

const RESULTS_FILE = fileURLToPath(new URL('../../bench/results/instructions.json', import.meta.url));
/** Node under callgrind starts some twenty times slower than it does alone. */
const START_TIMEOUT_MS = 180_000;
const BUDGET_MS = 90 * 60_000;

const USAGE = `Usage: npm run bench:instructions -- [options]

  --only a,b              scenarios, as for npm run bench (default all; proxy and the
                          reloading server are not counted)
  --warmup-requests N     requests sent before counting, per server and request (default 60000)
  --requests N            requests per counted window (default 10000)
  --windows N             counted windows per server and request; the median is reported (default 5)
  --connections N         keep-alive connections, as many as the throughput bench holds (default 50)
  --help

Needs valgrind (apt-get install valgrind).`;

interface Options {
  readonly only: readonly string[] | undefined;
  readonly warmupRequests: number;
  readonly requests: number;
  readonly windows: number;
  readonly connections: number;
  readonly help: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: 'string' },
      'warmup-requests': { type: 'string' },
      requests: { type: 'string' },
      windows: { type: 'string' },
      connections: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const count = (flag: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number above 0, not ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    only: values.only?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    warmupRequests: count('--warmup-requests', values['warmup-requests'], 60_000),
    requests: count('--requests', values.requests, 10_000),
    windows: count('--windows', values.windows, 5),
    connections: count('--connections', values.connections, 50),
    help: values.help ?? false,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!valgrindAvailable()) throw new Error('valgrind is not installed (apt-get install valgrind)');
  const plan = countPlan(selectScenarios(options.only));
  if (plan.servers.size === 0) throw new Error('none of the chosen scenarios has a server that can be counted');
  const children = new ChildProcesses(false);
  const workDir = mkdtempSync(join(tmpdir(), 'parapet-instructions-'));
  const cleanup = installCleanup(children, workDir);
  const watchdog = setTimeout(() => void cleanup.abort(`time budget of ${BUDGET_MS / 60_000} min exceeded`, 1), BUDGET_MS);
  watchdog.unref();
  try {
    const certificate = await createBenchCertificate(workDir);
    const probes = [...plan.servers.values()].reduce((n, p) => n + p.length, 0);
    log(`counting ${probes} probes on ${plan.servers.size} servers under callgrind: ${options.warmupRequests} requests of warm-up, then ${options.windows} windows of ${options.requests}`);
    const counted = new Map<string, CountedProbe>();
    // One server per CPU at a time: each runs on its own copy of valgrind's single thread.
    const queue = [...plan.servers];
    const lanes = Math.max(1, Math.min(availableParallelism(), queue.length));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          for (const c of await countServer(next[0], next[1], { children, workDir, certificate, options })) counted.set(probeKey(c.probe), c);
        }
      }),
    );
    const ordered = [...plan.servers.values()].flat().map((p) => counted.get(probeKey(p))!);
    const ratios = countedRatios(plan.ratios, counted);
    process.stdout.write(`\n${formatCounts(ordered, ratios)}\n`);
    mkdirSync(join(RESULTS_FILE, '..'), { recursive: true });
    writeFileSync(RESULTS_FILE, `${JSON.stringify({ generatedAt: new Date().toISOString(), node: process.version, options, probes: ordered, ratios: ratios.map((r) => ({ id: r.ratio.id, title: r.ratio.title, kind: r.ratio.kind, value: r.value, target: r.ratio.target, verdict: r.verdict })) }, null, 2)}\n`);
    process.stdout.write(`\nresults written to ${RESULTS_FILE}\n`);
    return 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup.done();
  }
}

interface CountContext {
  readonly children: ChildProcesses;
  readonly workDir: string;
  readonly certificate: BenchCertificate;
  readonly options: Options;
}

async function countServer(id: ServerId, probes: readonly Probe[], ctx: CountContext): Promise<CountedProbe[]> {
  const outBase = join(ctx.workDir, `callgrind-${id}`);
  const fleet = await startFleet([SERVERS[id]], {
    children: ctx.children,
    serverCpu: 0,
    certificate: ctx.certificate,
    workDir: ctx.workDir,
    launcher: ['valgrind', ...callgrindArgs(outBase)],
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const server = fleet.get(id)!;
  try {
    const targets: CountTarget[] = [];
    for (const probe of probes) {
      const request = probeRequest(probe, server);
      const verify = verifyTarget(probe, server, request, ctx.certificate);
      // The same check as the throughput bench's: a server that answered less would count less.
      await verifyResponse(verify);
      targets.push({ ...request, status: verify.expected.status, ...(verify.tls ? { tls: verify.tls } : {}) });
    }
    const { requests, connections, windows } = ctx.options;
    // Every request kind is warmed up before any is counted, and the windows take turns, so
    // each kind is counted with the same history behind it (what V8 compiled, how large its
    // young generation grew): counted one kind after the other, the later kinds read higher.
    for (const target of targets) await sendRequests(target, ctx.options.warmupRequests, connections);
    const counts = probes.map(() => [] as number[]);
    for (let w = 1; w <= windows; w++) {
      for (const [i, probe] of probes.entries()) {
        const total = await countInstructions(server.child.process.pid!, outBase, () => sendRequests(targets[i]!, requests, connections));
        counts[i]!.push(total / requests);
        log(`${probeKey(probe)} window ${w}/${windows}: ${Math.round(total / requests).toLocaleString('en-US')} instructions/request`);
      }
    }
    return probes.map((probe, i) => countedProbe(probe, counts[i]!));
  } finally {
    server.child.process.kill('SIGTERM');
    await server.child.exited;
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`\nbench:instructions failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
