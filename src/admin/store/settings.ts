import type Database from 'better-sqlite3';
import type { AuditEntry, AuditLog } from './audit.js';
import { StoreConflictError, StoreInvalidChangeError } from './errors.js';
import { defaultSecretMask, type SecretMask, type ValueChange } from './mask.js';

/**
 * One entry of Stalwart's settings change list (`POST /api/settings`). Arrays are read-only
 * here so that parsed, frozen request bodies can be passed as they are.
 */
export type SettingChange =
  | { readonly type: 'insert'; readonly prefix?: string | null; readonly values: readonly (readonly [string, string])[]; readonly assert_empty?: boolean }
  | { readonly type: 'delete'; readonly keys: readonly string[] }
  | { readonly type: 'clear'; readonly prefix: string };

export const SETTINGS_AUDIT_ACTION = 'settings.update';

export interface SettingsStore {
  /** Every stored setting: the overlay applied over the config file. */
  all(): Map<string, string>;
  /** Applies the whole list in one transaction, or nothing of it; returns the audit entry written with it. */
  apply(changes: readonly SettingChange[], actor: string, ip?: string, isSecret?: SecretMask): AuditEntry;
}

export function createSettingsStore(db: Database.Database, audit: AuditLog): SettingsStore {
  const selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings ORDER BY key');
  const selectValue = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  // Keys equal to `base` or starting with `base.`: every such key sorts between `base.` and
  // `base/` ('/' follows '.' in ASCII), so this is a primary-key range scan with no LIKE
  // escaping of `%` and `_` in keys.
  const selectUnder = db.prepare<[string, string, string], { key: string }>(
    'SELECT key FROM settings WHERE key = ? OR (key > ? AND key < ?)',
  );
  const upsert = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');

  const valueOf = (key: string): string | null => selectValue.get(key)?.value ?? null;
  const keysUnder = (base: string): string[] => selectUnder.all(base, `${base}.`, `${base}/`).map((row) => row.key);

  const applyAll = db.transaction(
    (changes: readonly SettingChange[], actor: string, ip: string | undefined, isSecret: SecretMask): AuditEntry => {
      // The value each touched key had before the list, to log old → new once per key
      // however many entries of the list touch it.
      const before = new Map<string, string | null>();
      const touch = (key: string): void => {
        if (!before.has(key)) before.set(key, valueOf(key));
      };

      for (const change of changes) {
        switch (change.type) {
          case 'insert': {
            const prefix = trimPrefix(change.prefix ?? '');
            const entries = change.values.map(([key, value]) => [joinKey(prefix, key), checkValue(key, value)] as const);
            if (change.assert_empty === true) {
              const existing = prefix !== '' ? keysUnder(prefix) : entries.map(([key]) => key).filter((key) => valueOf(key) !== null);
              if (existing.length > 0) throw conflict(prefix, existing);
            }
            for (const [key, value] of entries) {
              touch(key);
              upsert.run(key, value);
            }
            break;
          }
          case 'delete':
            for (const key of change.keys) {
              touch(checkKey(key));
              remove.run(key);
            }
            break;
          case 'clear': {
            const base = trimPrefix(change.prefix);
            if (base === '') {
              throw new StoreInvalidChangeError('`clear` needs a prefix such as "http.cors"; clearing every setting at once is refused');
            }
            for (const key of keysUnder(base)) {
              touch(key);
              remove.run(key);
            }
            break;
          }
          default:
            throw new StoreInvalidChangeError(
              `unknown settings change type ${JSON.stringify((change as { type: unknown }).type)}: expected "insert", "delete" or "clear"`,
            );
        }
      }

      const changed: ValueChange[] = [...before]
        .map(([key, old]) => ({ key, old, new: valueOf(key) }))
        .filter((change) => change.old !== change.new)
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const entry = { actor, action: SETTINGS_AUDIT_ACTION, keys: changed.map((change) => change.key), changes: changed };
      return audit.append(ip === undefined ? entry : { ...entry, ip }, isSecret);
    },
  );

  return {
    all: () => new Map(selectAll.all().map((row) => [row.key, row.value])),
    // IMMEDIATE takes the write lock before the first read, so a second process cannot
    // change a key between the read of its old value and the write.
    apply: (changes, actor, ip, isSecret = defaultSecretMask) => applyAll.immediate(changes, actor, ip, isSecret),
  };
}

/** `http.cors.` and `http.cors` name the same prefix. */
const trimPrefix = (prefix: string): string => prefix.replace(/\.+$/, '');

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
