// Stalwart's settings change list (`POST /api/settings`) applied to a map of settings. This is
// the one definition of what a list means: the management API previews the map it produces
// to validate the config, and the store writes the difference between the same two maps.
import { StoreConflictError, StoreInvalidChangeError } from './errors.js';
import type { ValueChange } from './mask.js';

/** One entry of the list. Arrays are read-only so parsed, frozen request bodies pass as they are. */
export type SettingChange =
  | { readonly type: 'insert'; readonly prefix?: string | null; readonly values: readonly (readonly [string, string])[]; readonly assert_empty?: boolean }
  | { readonly type: 'delete'; readonly keys: readonly string[] }
  | { readonly type: 'clear'; readonly prefix: string };

/**
 * The settings after the list, applied in order; `current` is left as it was. An `insert`
 * with a `prefix` sets `${prefix}.${key}`; with `assert_empty` it throws StoreConflictError
 * if any key equal to or under the prefix exists (without a prefix: if any of its keys
 * exists). `clear` removes the keys equal to or under its prefix, written with or without the
 * trailing dot. A malformed entry throws StoreInvalidChangeError.
 */
export function applyChanges(current: ReadonlyMap<string, string>, changes: readonly SettingChange[]): Map<string, string> {
  const next = new Map(current);
  for (const change of changes) {
    switch (change.type) {
      case 'insert': {
        const prefix = trimPrefix(change.prefix ?? '');
        const entries = change.values.map(([key, value]) => [joinKey(prefix, key), checkValue(key, value)] as const);
        if (change.assert_empty === true) {
          const existing = prefix !== '' ? keysUnder(next, prefix) : entries.map(([key]) => key).filter((key) => next.has(key));
          if (existing.length > 0) throw conflict(prefix, existing);
        }
        for (const [key, value] of entries) next.set(key, value);
        break;
      }
      case 'delete':
        for (const key of change.keys) next.delete(checkKey(key));
        break;
      case 'clear': {
        const base = trimPrefix(change.prefix);
        if (base === '') throw new StoreInvalidChangeError('`clear` needs a prefix such as "http.cors"; clearing every setting at once is refused');
        for (const key of keysUnder(next, base)) next.delete(key);
        break;
      }
      default:
        throw new StoreInvalidChangeError(
          `unknown settings change type ${JSON.stringify((change as { type: unknown }).type)}: expected "insert", "delete" or "clear"`,
        );
    }
  }
  return next;
}

/** The keys whose value differs between two maps (a removed key's new value is null), sorted. */
export function changedKeys(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): ValueChange[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((key) => before.get(key) !== after.get(key))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => ({ key, old: before.get(key) ?? null, new: after.get(key) ?? null }));
}

/** Validates the shape of a change list from a request body; undefined when it is not one. */
export function parseChangeList(body: unknown): SettingChange[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const out: SettingChange[] = [];
  const isString = (x: unknown): x is string => typeof x === 'string';
  for (const c of body as unknown[]) {
    if (typeof c !== 'object' || c === null) return undefined;
    const o = c as Record<string, unknown>;
    if (o.type === 'insert') {
      if (!Array.isArray(o.values) || !o.values.every((p) => Array.isArray(p) && p.length === 2 && isString(p[0]) && isString(p[1]))) return undefined;
      if (o.prefix !== undefined && o.prefix !== null && !isString(o.prefix)) return undefined;
      out.push({ type: 'insert', prefix: (o.prefix as string | null | undefined) ?? null, values: o.values as [string, string][], assert_empty: o.assert_empty === true });
    } else if (o.type === 'delete') {
      if (!Array.isArray(o.keys) || !o.keys.every(isString)) return undefined;
      out.push({ type: 'delete', keys: o.keys });
    } else if (o.type === 'clear') {
      if (!isString(o.prefix) || o.prefix === '') return undefined;
      out.push({ type: 'clear', prefix: o.prefix });
    } else {
      return undefined;
    }
  }
  return out;
}

/** `http.cors.` and `http.cors` name the same prefix. */
const trimPrefix = (prefix: string): string => prefix.replace(/\.+$/, '');

const keysUnder = (settings: ReadonlyMap<string, string>, base: string): string[] =>
  [...settings.keys()].filter((key) => key === base || key.startsWith(`${base}.`));

const joinKey = (prefix: string, key: string): string => checkKey(prefix === '' ? key : `${prefix}.${key}`);

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key === '' || key.startsWith('.') || key.endsWith('.')) {
    throw new StoreInvalidChangeError(`${JSON.stringify(key)} is not a setting key: keys are dotted names such as "http.hsts"`);
  }
  return key;
}

function checkValue(key: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new StoreInvalidChangeError(`the value of "${key}" is ${JSON.stringify(value)}; setting values are strings, as in Stalwart ("true", "30")`);
  }
  return value;
}

function conflict(prefix: string, existing: string[]): StoreConflictError {
  const shown = existing.slice(0, 3).join(', ') + (existing.length > 3 ? `, … (${existing.length} keys)` : '');
  const where = prefix !== '' ? `"${prefix}" already has settings` : 'these keys already exist';
  return new StoreConflictError(
    `insert with assert_empty: ${where} (${shown}); nothing was changed. Clear them first, or insert without assert_empty to overwrite.`,
  );
}
