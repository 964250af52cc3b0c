// Runs `parapet serve --config F` as a child process, as an operator would: for what only a
// whole process shows (signals, exit codes, its memory apart from the test's own).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface ChildServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly configPath: string;
  /** The first bound port of a listener, by id. */
  port(listenerId: string): number;
  /** Everything the process wrote on stdout and stderr so far. */
  output(): string;
  /** Its resident memory now, in bytes (/proc/<pid>/status VmRSS). */
  rss(): number;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGKILL if still running; for `finally` blocks. */
  kill(): void;
}

export async function startChild(toml: string, opts: { readyMs?: number } = {}): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-child-'));
  const configPath = join(dir, 'config.toml');
  let text = toml;
  if (!text.includes('data-dir')) {
    const dataDir = `data-dir = ${JSON.stringify(join(dir, 'data'))}\n`;
    // A TOML table is defined once: join a [server] table the config already has.
    text = /^\[server\]$/m.test(text) ? text.replace(/^\[server\]\n/m, `[server]\n${dataDir}`) : `${text}\n[server]\n${dataDir}`;
  }
  if (!text.includes('rate-limit')) text += '\n[http.rate-limit]\nanonymous = "1000000/1m"\n';
  writeFileSync(configPath, text);
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const ports = new Map<string, number>();
  const readyMs = opts.readyMs ?? 15_000;
  const deadline = Date.now() + readyMs;
  // Ready once every listener has logged where it listens and the process says nothing more.
  while (Date.now() < deadline) {
    for (const line of out.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"listening on ')) continue;
      const entry = JSON.parse(line) as { listener: string; urls: string[] };
      ports.set(entry.listener, Number(new URL(entry.urls[0]!).port));
    }
    const expected = (toml.match(/^\[server\.listener\.[^\]]+\]/gm) ?? []).length;
    if (ports.size >= expected && expected > 0) break;
    if (!running) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (ports.size === 0) {
    child.kill('SIGKILL');
    throw new Error(`parapet did not start:\n${out}`);
  }
  return {
    child,
    pid: child.pid!,
    configPath,
    port: (id) => {
      const p = ports.get(id);
      if (p === undefined) throw new Error(`no listener ${id} in:\n${out}`);
      return p;
    },
    output: () => out,
    rss: () => {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (!m) throw new Error('no VmRSS');
      return Number(m[1]) * 1024;
    },
    exited,
    kill: () => {
      if (running) child.kill('SIGKILL');
    },
  };
}

/** The p-th percentile (0–100) of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
