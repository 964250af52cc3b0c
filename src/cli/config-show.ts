import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MASK } from '../admin/api/index.js';
import { Store } from '../admin/store/index.js';
import { formatDiagnostic } from '../errors.js';
import { loadConfig, readSource } from '../config/load.js';

const SECRET_KEY = /(secret|password|private-key|token)$/;

/**
 * `parapet config show`: every effective key with its value and where it comes from —
 * the file, the store (settings written through the management API, which win), or the
 * default (a key left unset, or Parapet's built-in listeners). Secrets are masked.
 */
export function configShow(path: string | undefined, json: boolean): number {
  const source = readSource(path);
  if ('code' in source) {
    process.stderr.write(`${formatDiagnostic(source)}\n`);
    return 1;
  }
  const fileOnly = loadConfig(source);
  if (!fileOnly.ok) {
    for (const d of fileOnly.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return 1;
  }
  const storePath = resolve(fileOnly.settings.admin.storePath);
  let stored = new Map<string, string>();
  if (existsSync(storePath)) {
    const store = Store.open(storePath);
    stored = store.settings();
    store.close();
  }
  const loaded = loadConfig(source, undefined, stored);
  const effective = loaded.ok ? loaded : fileOnly;
  if (!loaded.ok) process.stderr.write('the stored settings make the configuration invalid; showing the file alone\n');
  const rows = new Map<string, { value: string; source: 'file' | 'store' | 'default' }>();
  for (const [key, value] of effective.flat) {
    rows.set(key, { value, source: stored.has(key) && loaded.ok ? 'store' : effective.builtIn.has(key) ? 'default' : 'file' });
  }
  for (const [key, value] of effective.defaults) if (!rows.has(key)) rows.set(key, { value, source: 'default' });
  const sorted = [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, r]) => ({ key, value: SECRET_KEY.test(key) ? MASK : r.value, source: r.source }));
  if (json) process.stdout.write(`${JSON.stringify(sorted, null, 2)}\n`);
  else for (const r of sorted) process.stdout.write(`${r.key} = ${JSON.stringify(r.value)}  # ${r.source}\n`);
  return 0;
}
