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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...process.argv.slice(2), ...files.sort()], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
