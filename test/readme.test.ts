import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CODES } from '../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every error and warning code is documented in the README', () => {
  const missing = Object.keys(CODES).filter((code) => !readme.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('the README documents no code that does not exist', () => {
  const documented = [...readme.matchAll(/`(CFG_[A-Z_]+)`/g)].map((m) => m[1]!);
  assert.deepEqual(documented.filter((c) => !(c in CODES)), []);
});
