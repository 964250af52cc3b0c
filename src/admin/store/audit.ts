import type Database from 'better-sqlite3';
import { defaultSecretMask, maskValueChange, type SecretMask, type ValueChange } from './mask.js';

/** One line of "who changed what": the actor, what they did, and each value before and after. */
export interface AuditEntry {
  id: number;
  /** ISO 8601, UTC. */
  at: string;
  actor: string;
  action: string;
  /** What the action concerns; for a settings change, the keys whose value changed. */
  keys: string[];
  /** Secret values already masked. */
  changes: ValueChange[];
  ip?: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

export interface AuditPage {
  total: number;
  items: AuditEntry[];
}

export interface AuditLog {
  /** Records an entry; values of secret keys (per `isSecret`, by default {@link defaultSecretMask}) are masked. */
  append(entry: NewAuditEntry, isSecret?: SecretMask): AuditEntry;
  /**
   * Newest first. `page` counts from 1 and `limit` 0 means everything, as in Stalwart's
   * list routes (page 0 is read as page 1).
   */
  list(limit: number, page: number): AuditPage;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  keys: string;
  changes: string;
  ip: string | null;
}

export function createAuditLog(db: Database.Database): AuditLog {
  const insert = db.prepare<[string, string, string, string, string, string | null]>(
    'INSERT INTO audit (at, actor, action, keys, changes, ip) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const count = db.prepare<[], { total: number }>('SELECT count(*) AS total FROM audit');
  const page = db.prepare<[number, number], AuditRow>('SELECT * FROM audit ORDER BY id DESC LIMIT ? OFFSET ?');

  return {
    append(entry, isSecret = defaultSecretMask) {
      const at = new Date().toISOString();
      const changes = entry.changes.map((change) => maskValueChange(change, isSecret));
      const { lastInsertRowid } = insert.run(
        at,
        entry.actor,
        entry.action,
        JSON.stringify(entry.keys),
        JSON.stringify(changes),
        entry.ip ?? null,
      );
      const stored: AuditEntry = { id: Number(lastInsertRowid), at, actor: entry.actor, action: entry.action, keys: [...entry.keys], changes };
      if (entry.ip !== undefined) stored.ip = entry.ip;
      return stored;
    },

    // One read transaction, so `total` and `items` describe the same moment.
    list: db.transaction((limit: number, pageNumber: number): AuditPage => {
      const size = wholeNumber(limit, 0);
      const offset = size === 0 ? 0 : (Math.max(1, wholeNumber(pageNumber, 1)) - 1) * size;
      // SQLite reads a negative LIMIT as "no limit".
      const rows = page.all(size === 0 ? -1 : size, offset);
      return { total: count.get()?.total ?? 0, items: rows.map(fromRow) };
    }),
  };
}

const wholeNumber = (n: number, fallback: number): number => (Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : fallback);

function fromRow(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    keys: JSON.parse(row.keys) as string[],
    changes: JSON.parse(row.changes) as ValueChange[],
  };
  if (row.ip !== null) entry.ip = row.ip;
  return entry;
}
