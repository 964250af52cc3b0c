import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Store, StoreConflictError, StoreInvalidChangeError, type SettingChange } from './index.js';
import { tempStore } from './test-helpers.js';

const insert = (prefix: string | null, values: [string, string][], assert_empty = false): SettingChange => ({
  type: 'insert',
  prefix,
  values,
  assert_empty,
});

/** A store holding exactly these settings. */
function storeWith(t: import('node:test').TestContext, settings: Record<string, string>): Store {
  const store = tempStore(t);
  store.applySettings([insert(null, Object.entries(settings))], 'setup');
  return store;
}

describe('applySettings', () => {
  test('insert joins the prefix and the key with a dot', (t) => {
    const store = tempStore(t);
    store.applySettings([insert('http', [['hsts', 'true'], ['cors.allowed-origins.0000', 'https://a.example']])], 'alice');
    assert.deepEqual(store.settings(), new Map([['http.cors.allowed-origins.0000', 'https://a.example'], ['http.hsts', 'true']]));
  });

  test('insert without a prefix, with a null, empty or dotted prefix', (t) => {
    const store = tempStore(t);
    store.applySettings(
      [
        { type: 'insert', values: [['a.one', '1']] },
        insert(null, [['a.two', '2']]),
        insert('', [['a.three', '3']]),
        insert('b.', [['four', '4']]),
      ],
      'alice',
    );
    assert.deepEqual([...store.settings().keys()], ['a.one', 'a.three', 'a.two', 'b.four']);
  });

  test('the audit entry lists each changed key once, with its value before the list and after it', (t) => {
    const store = storeWith(t, { 'http.hsts': 'false', 'http.url': 'https://old.example', 'http.same': 'x' });
    const entry = store.applySettings(
      [
        insert('http', [['hsts', 'true'], ['same', 'x']]),
        insert('http', [['hsts', 'false'], ['new', '1']]),
        { type: 'delete', keys: ['http.url', 'http.missing'] },
        insert('http', [['hsts', 'true']]),
      ],
      'alice',
      { ip: '192.0.2.7' },
    );
    assert.equal(entry.actor, 'alice');
    assert.equal(entry.ip, '192.0.2.7');
    assert.equal(entry.action, 'settings.update');
    assert.deepEqual(entry.keys, ['http.hsts', 'http.new', 'http.url']);
    assert.deepEqual(entry.changes, [
      { key: 'http.hsts', old: 'false', new: 'true' },
      { key: 'http.new', old: null, new: '1' },
      { key: 'http.url', old: 'https://old.example', new: null },
    ]);
    assert.deepEqual(store.audit.list(1, 1).items[0], entry);
  });

  test('delete removes exactly the keys named', (t) => {
    const store = storeWith(t, { 'http.url': 'u', 'http.url.extra': 'e', 'http.hsts': 'true' });
    store.applySettings([{ type: 'delete', keys: ['http.url', 'nope'] }], 'alice');
    assert.deepEqual(store.settings(), new Map([['http.hsts', 'true'], ['http.url.extra', 'e']]));
  });

  for (const prefix of ['http.cors', 'http.cors.', 'http.cors..']) {
    test(`clear "${prefix}" removes the key itself and every key under it, and nothing else`, (t) => {
      const store = storeWith(t, {
        'http.cors': 'x',
        'http.cors.allowed-origins.0000': 'https://a.example',
        'http.cors.max-age': '600',
        'http.cors-extra': 'kept',
        'http.corsx.y': 'kept',
        'http.hsts': 'kept',
      });
      const entry = store.applySettings([{ type: 'clear', prefix }], 'alice');
      assert.deepEqual([...store.settings().keys()], ['http.cors-extra', 'http.corsx.y', 'http.hsts']);
      assert.deepEqual(entry.keys, ['http.cors', 'http.cors.allowed-origins.0000', 'http.cors.max-age']);
    });
  }

  test('clear treats `%` and `_` in the prefix literally', (t) => {
    const store = storeWith(t, { 'a_b.c': '1', 'axb.c': '2', 'a%.c': '3', 'az.c': '4' });
    store.applySettings([{ type: 'clear', prefix: 'a_b' }, { type: 'clear', prefix: 'a%' }], 'alice');
    assert.deepEqual([...store.settings().keys()], ['axb.c', 'az.c']);
  });

  test('each change sees the ones before it in the list', (t) => {
    const store = tempStore(t);
    const entry = store.applySettings([insert('tmp', [['a', '1']]), { type: 'clear', prefix: 'tmp' }, insert('tmp', [['b', '2']], true)], 'alice');
    assert.deepEqual(store.settings(), new Map([['tmp.b', '2']]));
    // tmp.a came and went within the list: no net change to log.
    assert.deepEqual(entry.keys, ['tmp.b']);
  });

  test('assert_empty on an empty prefix inserts', (t) => {
    const store = storeWith(t, { 'certificate.other.cert': 'x', 'certificate.defaultx': 'y' });
    store.applySettings([insert('certificate.default', [['cert', 'pem']], true)], 'alice');
    assert.equal(store.settings().get('certificate.default.cert'), 'pem');
  });

  const conflicts: [string, Record<string, string>, SettingChange][] = [
    ['a key under the prefix', { 'http.cors.max-age': '600' }, insert('http.cors', [['allowed-origins.0000', 'https://a.example']], true)],
    ['the prefix itself as a key', { 'http.cors': 'x' }, insert('http.cors', [['max-age', '1']], true)],
    ['one of the keys, without a prefix', { 'http.hsts': 'true' }, insert(null, [['http.url', 'u'], ['http.hsts', 'false']], true)],
  ];
  for (const [name, existing, change] of conflicts) {
    test(`assert_empty conflict (${name}) rolls back the whole list and writes no audit entry`, (t) => {
      const before = { ...existing, 'other.key': 'kept' };
      const store = storeWith(t, before);
      const auditBefore = store.audit.list(0, 1).total;
      assert.throws(
        () => store.applySettings([insert(null, [['earlier', '1']]), { type: 'delete', keys: ['other.key'] }, change], 'alice'),
        (err: unknown) => err instanceof StoreConflictError && err.code === 'STORE_CONFLICT',
      );
      assert.deepEqual(store.settings(), new Map(Object.entries(before)));
      assert.equal(store.audit.list(0, 1).total, auditBefore);
    });
  }

  const invalid: [string, unknown][] = [
    ['clear with an empty prefix', { type: 'clear', prefix: '' }],
    ['clear with only a dot', { type: 'clear', prefix: '.' }],
    ['an empty key', { type: 'insert', values: [['', 'v']] }],
    ['a key ending with a dot', { type: 'delete', keys: ['http.'] }],
    ['a value that is not a string', { type: 'insert', prefix: 'http', values: [['hsts', true]] }],
    ['an unknown change type', { type: 'upsert', values: [] }],
  ];
  for (const [name, change] of invalid) {
    test(`refuses ${name}, changing nothing`, (t) => {
      const store = storeWith(t, { 'http.hsts': 'true' });
      assert.throws(
        () => store.applySettings([insert(null, [['earlier', '1']]), change as SettingChange], 'alice'),
        (err: unknown) => err instanceof StoreInvalidChangeError && err.code === 'STORE_INVALID_CHANGE',
      );
      assert.deepEqual(store.settings(), new Map([['http.hsts', 'true']]));
    });
  }

  test('a list previewed against settings the store no longer holds is refused, changing nothing', (t) => {
    const store = storeWith(t, { 'http.hsts': 'true' });
    const basis = store.settings();
    store.applySettings([insert('http', [['url', 'https://elsewhere.example']])], 'bob');
    const auditBefore = store.audit.list(0, 1).total;
    assert.throws(
      () => store.applySettings([insert('http', [['hsts', 'false']])], 'alice', { basis }),
      (err: unknown) => err instanceof StoreConflictError && /changed since this change was validated/.test(err.message),
    );
    assert.equal(store.settings().get('http.hsts'), 'true');
    assert.equal(store.audit.list(0, 1).total, auditBefore);
    const entry = store.applySettings([insert('http', [['hsts', 'false']])], 'alice', { basis: store.settings() });
    assert.deepEqual(entry.changes, [{ key: 'http.hsts', old: 'true', new: 'false' }]);
  });

  test('settings survive closing and reopening the store', (t) => {
    const first = tempStore(t);
    first.applySettings([insert('http', [['hsts', 'true']])], 'alice');
    first.close();
    const second = Store.open(first.path);
    t.after(() => second.close());
    assert.deepEqual(second.settings(), new Map([['http.hsts', 'true']]));
  });
});
