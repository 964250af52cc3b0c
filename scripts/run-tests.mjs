// Runs the compiled test files with Node's test runner. Node 20 has no glob support in
// `node --test`, so the files are listed here; extra arguments are passed through.
//   node scripts/run-tests.mjs            every suite but the stress ones (`npm test`)
//   node scripts/run-tests.mjs --stress   the stress suites, test/hardening-*.test.ts (`npm run test:stress`)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const stress = process.argv[2] === '--stress';
const passThrough = process.argv.slice(stress ? 3 : 2);
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
// The stress suites put real load on the machine and measure latency under it; they run one
// file at a time, so their latency bounds do not share the two cores with anything else.
const isStress = (f) => /(^|\/)hardening-[^/]*\.test\.js$/.test(f);
const selected = files.filter((f) => isStress(f) === stress);
if (selected.length === 0) {
  console.error(`no ${stress ? 'stress ' : ''}test files found`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${stress ? 1 : 2}`, '--test-timeout=120000', ...passThrough, ...selected.sort()],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
