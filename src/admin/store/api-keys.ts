import type Database from 'better-sqlite3';
import { StoreConflictError } from './errors.js';

/** A long-lived API key. Only its hash is stored; the key itself is shown once, at creation. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The account the key acts as. */
  account: string;
  secretHash: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiKeyStore {
  /** Throws {@link StoreConflictError} if the id is taken. */
  create(record: Omit<ApiKeyRecord, 'createdAt' | 'lastUsedAt'>): ApiKeyRecord;
  get(id: string): ApiKeyRecord | undefined;
  /** Oldest first. */
  list(): ApiKeyRecord[];
  delete(id: string): boolean;
  /** Records that the key was just used; `lastUsedAt` is kept to the minute. */
  touch(id: string): void;
}

interface ApiKeyRow {
  id: string;
  name: string;
  account: string;
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
}

const TOUCH_GRANULARITY_MS = 60_000;

export function createApiKeyStore(db: Database.Database): ApiKeyStore {
  const insert = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO api_keys (id, name, account, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const selectOne = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?');
  const selectAll = db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at, id');
  const remove = db.prepare<[string]>('DELETE FROM api_keys WHERE id = ?');
  // touch() runs on every request authenticated by a key, and each write waits for the
  // disk; a use less than a minute after the recorded one is not worth that wait.
  // ISO 8601 UTC strings of one format compare in time order.
  const markUsed = db.prepare<[string, string, string]>(
    'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
  );

  return {
    create: (record) => {
      const created: ApiKeyRecord = {
        id: record.id,
        name: record.name,
        account: record.account,
        secretHash: record.secretHash,
        createdAt: new Date().toISOString(),
        lastUsedAt: null,
      };
      try {
        insert.run(created.id, created.name, created.account, created.secretHash, created.createdAt);
      } catch (err) {
        if (isPrimaryKeyViolation(err)) throw new StoreConflictError(`an API key with id "${record.id}" already exists; ids must be unique`);
        throw err;
      }
      return created;
    },
    get: (id) => {
      const row = selectOne.get(id);
      return row === undefined ? undefined : fromRow(row);
    },
    list: () => selectAll.all().map(fromRow),
    delete: (id) => remove.run(id).changes > 0,
    touch: (id) => {
      const now = Date.now();
      markUsed.run(new Date(now).toISOString(), id, new Date(now - TOUCH_GRANULARITY_MS).toISOString());
    },
  };
}

const isPrimaryKeyViolation = (err: unknown): boolean =>
  err instanceof Error && (err as Error & { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

const fromRow = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  account: row.account,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});
