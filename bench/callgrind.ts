// Running a server under valgrind's callgrind with counting off, and counting one window of
// requests at a time: `callgrind_control` switches counting on, the requests are sent, it
// switches counting off and dumps, and the dump's total is the window's instruction count.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Valgrind's arguments before the command it runs; dumps go to `<outBase>.<pid>.<n>`. */
export function callgrindArgs(outBase: string): string[] {
  return [
    '--tool=callgrind',
    // V8 writes and rewrites machine code on the heap: valgrind must notice.
    '--smc-check=all-non-file',
    '--instr-atstart=no',
    `--callgrind-out-file=${outBase}.%p`,
  ];
}

export function valgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version']).status === 0 && spawnSync('callgrind_control', ['--help']).status !== null;
}

/**
 * The event total of a callgrind dump (instructions: the only event collected). A dump has a
 * `totals:` line; its `summary:` line can read 0 when counting was switched on and off.
 */
export function dumpTotal(text: string): number {
  const m = /^totals:\s+(\d+)/m.exec(text);
  if (!m) throw new Error('the callgrind dump has no totals line');
  return Number(m[1]);
}

function control(pid: number, args: readonly string[]): void {
  const r = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} ${pid} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
}

/** The newest dump of `pid` (callgrind numbers them from 1). */
function newestDump(outBase: string, pid: number): string {
  const prefix = `${basename(outBase)}.${pid}.`;
  const numbers = readdirSync(dirname(outBase))
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .filter((n) => Number.isInteger(n));
  if (numbers.length === 0) throw new Error(`no callgrind dump for process ${pid}`);
  return join(dirname(outBase), `${prefix}${Math.max(...numbers)}`);
}

/** Counts the instructions `pid` executes while `work` runs. */
export async function countInstructions(pid: number, outBase: string, work: () => Promise<void>): Promise<number> {
  control(pid, ['--instr=on']);
  try {
    await work();
  } finally {
    control(pid, ['--instr=off']);
  }
  control(pid, ['--dump']);
  return dumpTotal(readFileSync(newestDump(outBase, pid), 'utf8'));
}
