// The `reload` scenario's extra: SIGHUP to a Parapet child at a fixed interval while it is
// measured, and afterwards a look at its log (warn level: only problems are written) for a
// reload that was refused or failed, which would make the run measure nothing useful.
import type { ManagedChild } from './processes.js';

export interface Reloads {
  /** Stops signalling; the number of SIGHUPs sent. */
  stop(): number;
}

/**
 * Under `taskset`, the child's pid is still the server's (taskset execs it). Parapet handles
 * SIGHUP from the moment it listens, which is before the harness measures it.
 */
export function startReloads(child: ManagedChild, everyMs: number): Reloads {
  let sent = 0;
  const timer = setInterval(() => {
    if (child.process.kill('SIGHUP')) sent++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return sent;
    },
  };
}

/** Log lines of reloads Parapet refused (invalid config) or that failed while applying. */
export function unsuccessfulReloads(child: ManagedChild): string[] {
  return child
    .stdout()
    .split('\n')
    .filter((line) => line.includes('"msg":"reload refused') || line.includes('"msg":"reload failed'));
}
