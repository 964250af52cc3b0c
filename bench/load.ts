// Load generators: wrk (C, one thread, so it needs far less CPU than the node server it
// drives) and autocannon as a fallback when wrk is not installed.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ChildProcesses, ManagedChild } from './processes.js';

export interface LoadSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface LoadErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  /** Responses with a status ≥ 400 (wrk) or outside 2xx (autocannon). */
  readonly status: number;
  readonly timeout: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: LoadErrors;
}

export interface LoadGenerator {
  readonly name: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

export const totalErrors = (e: LoadErrors): number => e.connect + e.read + e.write + e.status + e.timeout;

export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['--version']);
  return probe.error === undefined;
}

const SUMMARY_MARK = 'WRK_SUMMARY ';

/**
 * wrk driven by a generated Lua script: the script sets the method and headers (wrk's -H
 * cannot change the method) and its done() hook prints exact counts and percentiles as one
 * JSON line, which is sturdier than reading wrk's rounded, unit-suffixed text table.
 */
export function wrkGenerator(children: ChildProcesses, cpu: number, scriptDir: string): LoadGenerator {
  let scripts = 0;
  return {
    name: 'wrk',
    async run(spec) {
      const script = join(scriptDir, `wrk-${++scripts}.lua`);
      writeFileSync(script, wrkScript(spec));
      const child = children.spawn('wrk', 'wrk', ['-t1', `-c${spec.connections}`, `-d${spec.durationSeconds}s`, '--latency', '-s', script, spec.url], {
        cpu,
        captureStdout: true,
      });
      return parseWrkOutput(await finished(child, spec.durationSeconds));
    },
  };
}

export function wrkScript(spec: LoadSpec): string {
  const lines = [`wrk.method = ${lua(spec.method)}`];
  for (const [name, value] of Object.entries(spec.headers)) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${SUMMARY_MARK}{"requests":%.0f,"durationUs":%.0f,"p50Us":%.0f,"p99Us":%.0f,` +
      `"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}\\n',`,
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),',
    '    e.connect, e.read, e.write, e.status, e.timeout))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

const lua = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

interface WrkSummary {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith(SUMMARY_MARK));
  if (line === undefined) throw new Error(`wrk printed no summary; its output was:\n${stdout.trim() || '(empty)'}`);
  const s = JSON.parse(line.slice(SUMMARY_MARK.length)) as WrkSummary;
  if (s.durationUs <= 0) throw new Error(`wrk reported a zero-length run:\n${stdout.trim()}`);
  return {
    requestsPerSecond: s.requests / (s.durationUs / 1e6),
    p50Ms: s.p50Us / 1000,
    p99Ms: s.p99Us / 1000,
    requests: s.requests,
    errors: { connect: s.connect, read: s.read, write: s.write, status: s.status, timeout: s.timeout },
  };
}

/** autocannon's CLI in its own pinned process, so the harness itself stays idle. */
export function autocannonGenerator(children: ChildProcesses, cpu: number): LoadGenerator {
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  return {
    name: 'autocannon',
    async run(spec) {
      const headerArgs = Object.entries(spec.headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
      const args = [cli, '--json', '-c', String(spec.connections), '-d', String(spec.durationSeconds), '-m', spec.method, ...headerArgs, spec.url];
      const child = children.spawn('autocannon', process.execPath, args, { cpu, captureStdout: true });
      return parseAutocannonOutput(await finished(child, spec.durationSeconds));
    },
  };
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

export function parseAutocannonOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`autocannon printed no JSON; its output was:\n${stdout.trim() || '(empty)'}`);
  const r = JSON.parse(line) as AutocannonJson;
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: { connect: r.errors - r.timeouts, read: 0, write: 0, status: r.non2xx, timeout: r.timeouts },
  };
}

/** The child's stdout once it exits; a hung generator is killed after its duration plus slack. */
async function finished(child: ManagedChild, durationSeconds: number): Promise<string> {
  const limit = setTimeout(() => child.process.kill('SIGKILL'), (durationSeconds + 30) * 1000);
  const code = await child.exited;
  clearTimeout(limit);
  if (code !== 0) throw new Error(`${child.name} exited with ${code}:\n${child.stderrTail() || child.stdout() || '(no output)'}`);
  return child.stdout();
}
