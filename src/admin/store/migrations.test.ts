import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, Store, StoreSchemaTooNewError } from './index.js';
import { MIGRATIONS } from './migrations.js';
import { tempDir } from './test-helpers.js';

/** The schema as Parapet's first store release wrote it, spelled out rather than taken from MIGRATIONS. */
const V1_SCHEMA = `
  CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    keys TEXT NOT NULL, changes TEXT NOT NULL, ip TEXT
  );
`;

/** Writes a database file by hand, then closes it. */
function handMadeDatabase(t: TestContext, build: (db: Database.Database) => void): string {
  const path = join(tempDir(t), 'parapet.db');
  const db = new Database(path);
  build(db);
  db.close();
  return path;
}

function readVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

function openStore(t: TestContext, path: string): Store {
  const store = Store.open(path);
  t.after(() => store.close());
  return store;
}

describe('schema migrations', () => {
  test('versions run 1, 2, … without gaps, and the latest is the last one', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_, i) => i + 1),
    );
    assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
  });

  test('a new store is created at the latest version, in WAL mode', (t) => {
    const path = join(tempDir(t), 'a', 'b', 'parapet.db');
    openStore(t, path).close();
    assert.equal(readVersion(path), LATEST_SCHEMA_VERSION);
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  });

  test('reopening a current store changes nothing', (t) => {
    const path = join(tempDir(t), 'parapet.db');
    const first = Store.open(path);
    first.applySettings([{ type: 'insert', values: [['http.hsts', 'true']] }], 'alice');
    first.close();
    const second = openStore(t, path);
    assert.deepEqual(second.settings(), new Map([['http.hsts', 'true']]));
    assert.equal(second.audit.list(0, 1).total, 1);
  });

  test('a version 1 file is upgraded, keeping its settings and audit log', (t) => {
    const path = handMadeDatabase(t, (db) => {
      db.exec(V1_SCHEMA);
      db.prepare('INSERT INTO settings VALUES (?, ?)').run('http.hsts', 'true');
      db.prepare('INSERT INTO audit (at, actor, action, keys, changes, ip) VALUES (?, ?, ?, ?, ?, ?)').run(
        '2024-01-02T03:04:05.000Z',
        'alice',
        'settings.update',
        '["http.hsts"]',
        '[{"key":"http.hsts","old":null,"new":"true"}]',
        '192.0.2.1',
      );
      db.pragma('user_version = 1');
    });

    const store = openStore(t, path);
    assert.equal(readVersion(path), LATEST_SCHEMA_VERSION);
    assert.deepEqual(store.settings(), new Map([['http.hsts', 'true']]));
    assert.deepEqual(store.audit.list(10, 1).items, [
      {
        id: 1,
        at: '2024-01-02T03:04:05.000Z',
        actor: 'alice',
        action: 'settings.update',
        keys: ['http.hsts'],
        changes: [{ key: 'http.hsts', old: null, new: 'true' }],
        ip: '192.0.2.1',
      },
    ]);
    // What version 2 adds works on the upgraded file.
    store.accounts.put({ name: 'alice', secretHash: 'h', role: 'admin' });
    store.apiKeys.create({ id: 'k1', name: 'ci', account: 'alice', secretHash: 'x' });
    assert.equal(store.accounts.count(), 1);
    assert.equal(store.apiKeys.list().length, 1);
    assert.equal(store.applySettings([{ type: 'delete', keys: ['http.hsts'] }], 'bob').id, 2);
  });

  test('a migration that fails leaves the file at its previous version with none of its changes', (t) => {
    const path = handMadeDatabase(t, (db) => {
      db.exec(V1_SCHEMA);
      // Takes the name of the index that migration 2 creates last, after its two tables.
      db.exec('CREATE TABLE api_keys_by_account (x)');
      db.pragma('user_version = 1');
    });
    assert.throws(() => Store.open(path), /api_keys_by_account/);
    assert.equal(readVersion(path), 1);
    const db = new Database(path, { readonly: true });
    t.after(() => db.close());
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    assert.deepEqual(
      tables.map((row) => row.name),
      ['api_keys_by_account', 'audit', 'settings', 'sqlite_sequence'],
    );
  });

  test('a file from a newer Parapet is refused, with a clear error, and left untouched', (t) => {
    const newer = LATEST_SCHEMA_VERSION + 1;
    const path = handMadeDatabase(t, (db) => {
      db.exec('CREATE TABLE settings_v3 (whatever TEXT)');
      db.pragma(`user_version = ${newer}`);
    });
    assert.throws(
      () => Store.open(path),
      (err: unknown) =>
        err instanceof StoreSchemaTooNewError &&
        err.code === 'STORE_SCHEMA_TOO_NEW' &&
        err.foundVersion === newer &&
        err.knownVersion === LATEST_SCHEMA_VERSION &&
        err.message.includes(path),
    );
    assert.equal(readVersion(path), newer);
  });
});
