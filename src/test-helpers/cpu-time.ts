import assert from 'node:assert/strict';

/**
 * The CPU time, in milliseconds, that `f` took, and its result. Tests that bound how long a
 * parser may take measure this rather than wall time: on a loaded machine the test process
 * may wait for a core mid-call, which wall time would count against the parser.
 */
export function cpuTimed<T>(f: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = f();
  const spent = process.cpuUsage(before);
  return { result, ms: (spent.user + spent.system) / 1000 };
}

/** `f`'s result, after asserting that it took less than `budgetMs` of CPU time. */
export function withinCpuBudget<T>(f: () => T, budgetMs: number): T {
  const { result, ms } = cpuTimed(f);
  assert.ok(ms < budgetMs, `took ${ms.toFixed(1)} ms of CPU (budget ${budgetMs} ms)`);
  return result;
}
