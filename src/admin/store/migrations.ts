import type Database from 'better-sqlite3';
import { StoreSchemaTooNewError } from './errors.js';

/**
 * The store's schema history. The schema version lives in SQLite's `PRAGMA user_version`
 * (a field in the file header, so it needs no table of its own and is written in the same
 * transaction as the migration). A migration that has shipped is never edited: a change
 * to the schema is a new entry at the end of the list.
 */
export interface Migration {
  readonly version: number;
  readonly summary: string;
  readonly up: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    summary: 'settings overlay and audit log',
    up: (db) =>
      db.exec(`
        CREATE TABLE settings (
          key   TEXT PRIMARY KEY NOT NULL,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
        -- AUTOINCREMENT so that an entry id is never reused, even after the log is pruned.
        CREATE TABLE audit (
          id      INTEGER PRIMARY KEY AUTOINCREMENT,
          at      TEXT NOT NULL,
          actor   TEXT NOT NULL,
          action  TEXT NOT NULL,
          keys    TEXT NOT NULL,  -- JSON array of strings
          changes TEXT NOT NULL,  -- JSON array of {key, old, new}
          ip      TEXT
        );
      `),
  },
  {
    version: 2,
    summary: 'accounts and API keys',
    up: (db) =>
      db.exec(`
        CREATE TABLE accounts (
          name        TEXT PRIMARY KEY NOT NULL,
          secret_hash TEXT NOT NULL,
          role        TEXT NOT NULL CHECK (role IN ('admin', 'user')),
          created_at  TEXT NOT NULL
        ) WITHOUT ROWID;
        -- No foreign key to accounts: the fallback administrator comes from the config file,
        -- not from this table, and may own keys too. Deleting an account deletes its keys.
        CREATE TABLE api_keys (
          id           TEXT PRIMARY KEY NOT NULL,
          name         TEXT NOT NULL,
          account      TEXT NOT NULL,
          secret_hash  TEXT NOT NULL,
          created_at   TEXT NOT NULL,
          last_used_at TEXT
        ) WITHOUT ROWID;
        CREATE INDEX api_keys_by_account ON api_keys (account);
      `),
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the database up to the latest schema, one transaction per migration. */
export function migrate(db: Database.Database, path: string): void {
  // The version is read again inside each write transaction: another process opening the
  // same file may have run the migration while this one waited for the lock.
  const step = db.transaction((): boolean => {
    const found = schemaVersion(db);
    if (found > LATEST_SCHEMA_VERSION) throw new StoreSchemaTooNewError(path, found, LATEST_SCHEMA_VERSION);
    const next = MIGRATIONS[found];
    if (next === undefined) return false;
    next.up(db);
    db.pragma(`user_version = ${next.version}`);
    return true;
  });
  while (step.immediate()) {
    /* one migration per transaction */
  }
}
