// Runs every compiled test file with Node's test runner. Node 20 has no glob support in
// `node --test`, so the files are listed here; extra arguments are passed through.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['dist/src', 'dist/test'];
const only = process.env.PARAPET_TEST_FILTER;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!only || p.includes(only))) files.push(p);
  }
};
for (const r of roots) {
  try {
    walk(r);
  } catch {
    /* a root without tests */
  }
}
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
// The hardening suites put real load on the machine and measure latency under it; they run
// after the others, one file at a time, so neither they nor the rest share the two cores.
const isLoad = (f) => /(^|\/)hardening-[^/]*\.test\.js$/.test(f);
const runFiles = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...process.argv.slice(2), ...list.sort()], { stdio: 'inherit' }).status ?? 1);
const first = runFiles(files.filter((f) => !isLoad(f)), 2);
const second = runFiles(files.filter(isLoad), 1);
process.exit(first || second);
