import type Database from 'better-sqlite3';

export type Role = 'admin' | 'user';

/** An account that can sign in to the management API. The store never sees the password itself. */
export interface Account {
  name: string;
  secretHash: string;
  role: Role;
  /** ISO 8601, UTC. */
  createdAt: string;
}

export interface AccountStore {
  get(name: string): Account | undefined;
  /** Sorted by name. */
  list(): Account[];
  /** Creates the account, or replaces its hash and role; `createdAt` is kept on replace. */
  put(account: Omit<Account, 'createdAt'>): void;
  /** Removes the account and every API key it owns; false if there was no such account. */
  delete(name: string): boolean;
  count(): number;
}

interface AccountRow {
  name: string;
  secret_hash: string;
  role: Role;
  created_at: string;
}

export function createAccountStore(db: Database.Database): AccountStore {
  const selectOne = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE name = ?');
  const selectAll = db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY name');
  const selectCount = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM accounts');
  const upsert = db.prepare<[string, string, string, string]>(
    `INSERT INTO accounts (name, secret_hash, role, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET secret_hash = excluded.secret_hash, role = excluded.role`,
  );
  const removeAccount = db.prepare<[string]>('DELETE FROM accounts WHERE name = ?');
  const removeKeysOf = db.prepare<[string]>('DELETE FROM api_keys WHERE account = ?');

  // A deleted account's keys must stop working with it; there is no foreign key to do
  // this (see the migration), so both deletes share one transaction.
  const deleteWithKeys = db.transaction((name: string): boolean => {
    removeKeysOf.run(name);
    return removeAccount.run(name).changes > 0;
  });

  return {
    get: (name) => {
      const row = selectOne.get(name);
      return row === undefined ? undefined : fromRow(row);
    },
    list: () => selectAll.all().map(fromRow),
    put: (account) => {
      upsert.run(account.name, account.secretHash, account.role, new Date().toISOString());
    },
    delete: (name) => deleteWithKeys.immediate(name),
    count: () => selectCount.get()?.n ?? 0,
  };
}

const fromRow = (row: AccountRow): Account => ({ name: row.name, secretHash: row.secret_hash, role: row.role, createdAt: row.created_at });
