import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed) the store's SQLite file and brings its schema up to date.
 * A failed migration closes the handle before rethrowing, so no half-opened file stays locked.
 */
export function openDatabase(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    configure(db);
    migrate(db, path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function configure(db: Database.Database): void {
  // WAL: readers never block the writer, and a commit is one append to the log.
  db.pragma('journal_mode = WAL');
  // FULL syncs the log on every commit, so a write acknowledged to an administrator
  // survives a power cut, not only a crash (NORMAL may lose the last commits on power loss).
  db.pragma('synchronous = FULL');
  // Another process (the CLI, a second instance) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
}
