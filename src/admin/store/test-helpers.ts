import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Store } from './index.js';

/** A fresh folder removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a fresh folder (nested, to exercise folder creation), closed when the test ends. */
export function tempStore(t: TestContext): Store {
  const store = Store.open(join(tempDir(t), 'data', 'parapet.db'));
  t.after(() => store.close());
  return store;
}
