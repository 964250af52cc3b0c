import type Database from 'better-sqlite3';
import type { AuditEntry, AuditLog } from './audit.js';
import { applyChanges, changedKeys, type SettingChange } from './changes.js';
import { StoreConflictError } from './errors.js';
import { defaultSecretMask, type SecretMask } from './mask.js';

export type { SettingChange } from './changes.js';

export const SETTINGS_AUDIT_ACTION = 'settings.update';

export interface ApplyOptions {
  /** The client address recorded in the audit entry. */
  readonly ip?: string;
  /** Which keys' values the audit entry masks (default: the usual secret keys). */
  readonly mask?: SecretMask;
  /**
   * The settings the caller previewed the list against. When given and the store no longer
   * holds exactly these, the list is refused (StoreConflictError) rather than applied to
   * settings the caller did not validate.
   */
  readonly basis?: ReadonlyMap<string, string>;
}

export interface SettingsStore {
  /** Every stored setting: the overlay applied over the config file. */
  all(): Map<string, string>;
  /** Applies the whole list in one transaction, or nothing of it; returns the audit entry written with it. */
  apply(changes: readonly SettingChange[], actor: string, options?: ApplyOptions): AuditEntry;
}

export function createSettingsStore(db: Database.Database, audit: AuditLog): SettingsStore {
  const selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings ORDER BY key');
  const upsert = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
  const all = (): Map<string, string> => new Map(selectAll.all().map((row) => [row.key, row.value]));

  const applyAll = db.transaction((changes: readonly SettingChange[], actor: string, options: ApplyOptions): AuditEntry => {
    const before = all();
    if (options.basis && !sameSettings(options.basis, before)) {
      throw new StoreConflictError('the stored settings changed since this change was validated; nothing was changed. Send it again.');
    }
    const changed = changedKeys(before, applyChanges(before, changes));
    for (const change of changed) {
      if (change.new === null) remove.run(change.key);
      else upsert.run(change.key, change.new);
    }
    const entry = { actor, action: SETTINGS_AUDIT_ACTION, keys: changed.map((change) => change.key), changes: changed };
    return audit.append(options.ip === undefined ? entry : { ...entry, ip: options.ip }, options.mask ?? defaultSecretMask);
  });

  return {
    all,
    // IMMEDIATE takes the write lock before the first read, so a second process cannot
    // change a key between the read of the settings and the write.
    apply: (changes, actor, options = {}) => applyAll.immediate(changes, actor, options),
  };
}

function sameSettings(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
