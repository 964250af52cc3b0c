import type Database from 'better-sqlite3';
import { createAccountStore, type AccountStore } from './accounts.js';
import { createApiKeyStore, type ApiKeyStore } from './api-keys.js';
import { createAuditLog, type AuditEntry, type AuditLog } from './audit.js';
import { openDatabase } from './db.js';
import type { NewAuditEntry } from './audit.js';
import { createSettingsStore, type ApplyOptions, type SettingChange, type SettingsStore } from './settings.js';

export type { Account, AccountStore, Role } from './accounts.js';
export type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';
export type { AuditEntry, AuditLog, AuditPage, NewAuditEntry } from './audit.js';
export { StoreConflictError, StoreInvalidChangeError, StoreSchemaTooNewError, type StoreErrorCode } from './errors.js';
export { defaultSecretMask, MASKED_VALUE, type SecretMask, type ValueChange } from './mask.js';
export { LATEST_SCHEMA_VERSION } from './migrations.js';
export { SETTINGS_AUDIT_ACTION, type ApplyOptions, type SettingChange } from './settings.js';
export { applyChanges, parseChangeList } from './changes.js';

/**
 * The embedded store: settings edited through the API (an overlay over the config file),
 * accounts, API keys and the audit log, in one SQLite file.
 *
 * Calls are synchronous. Writes that touch more than one row run in one transaction; a
 * single-row write is atomic on its own. A write has reached the disk when the call returns.
 */
export class Store {
  readonly accounts: AccountStore;
  readonly apiKeys: ApiKeyStore;
  readonly audit: AuditLog;
  readonly #settings: SettingsStore;
  readonly #db: Database.Database;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.#db = db;
    this.audit = createAuditLog(db);
    this.#settings = createSettingsStore(db, this.audit);
    this.accounts = createAccountStore(db);
    this.apiKeys = createApiKeyStore(db);
  }

  /**
   * Opens the store at `path`, creating the file and its folders if needed and upgrading an
   * older schema. Throws StoreSchemaTooNewError for a file written by a newer Parapet.
   */
  static open(path: string): Store {
    return new Store(path, openDatabase(path));
  }

  /** Every stored setting: the overlay applied over the config file. */
  settings(): Map<string, string> {
    return this.#settings.all();
  }

  /**
   * Applies Stalwart's settings change list atomically (see `applyChanges` for what a list
   * means) and returns the audit entry written with it. Values of keys for which
   * `options.mask` is true are logged as `********`.
   */
  applySettings(changes: readonly SettingChange[], actor: string, options?: ApplyOptions): AuditEntry {
    return this.#settings.apply(changes, actor, options);
  }

  /**
   * Runs `write` and appends the audit entry `entry` makes of its result in one transaction:
   * both reach the disk or neither does. An `entry` of undefined (nothing was written)
   * appends nothing.
   */
  audited<T>(write: () => T, entry: (result: T) => NewAuditEntry | undefined): T {
    return this.#db.transaction(() => {
      const result = write();
      const e = entry(result);
      if (e) this.audit.append(e);
      return result;
    })();
  }

  close(): void {
    this.#db.close();
  }
}
