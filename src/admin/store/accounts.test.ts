import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreConflictError } from './index.js';
import { tempStore } from './test-helpers.js';

describe('accounts', () => {
  test('put creates, get and list return, count counts', (t) => {
    const store = tempStore(t);
    assert.equal(store.accounts.count(), 0);
    assert.equal(store.accounts.get('alice'), undefined);
    store.accounts.put({ name: 'bob', secretHash: 'h-bob', role: 'user' });
    store.accounts.put({ name: 'alice', secretHash: 'h-alice', role: 'admin' });
    const alice = store.accounts.get('alice');
    assert.deepEqual(alice && { ...alice, createdAt: undefined }, { name: 'alice', secretHash: 'h-alice', role: 'admin', createdAt: undefined });
    assert.ok(alice && !Number.isNaN(Date.parse(alice.createdAt)));
    assert.deepEqual(store.accounts.list().map((a) => a.name), ['alice', 'bob']);
    assert.equal(store.accounts.count(), 2);
  });

  test('put on an existing name replaces hash and role and keeps createdAt', async (t) => {
    const store = tempStore(t);
    store.accounts.put({ name: 'alice', secretHash: 'h1', role: 'user' });
    const created = store.accounts.get('alice')!.createdAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.accounts.put({ name: 'alice', secretHash: 'h2', role: 'admin' });
    assert.deepEqual(store.accounts.get('alice'), { name: 'alice', secretHash: 'h2', role: 'admin', createdAt: created });
    assert.equal(store.accounts.count(), 1);
  });

  test('delete removes the account and its API keys only', (t) => {
    const store = tempStore(t);
    store.accounts.put({ name: 'alice', secretHash: 'h', role: 'admin' });
    store.accounts.put({ name: 'bob', secretHash: 'h', role: 'user' });
    store.apiKeys.create({ id: 'k1', name: 'ci', account: 'alice', secretHash: 'x' });
    store.apiKeys.create({ id: 'k2', name: 'backup', account: 'bob', secretHash: 'y' });
    assert.equal(store.accounts.delete('alice'), true);
    assert.equal(store.accounts.delete('alice'), false);
    assert.deepEqual(store.accounts.list().map((a) => a.name), ['bob']);
    assert.deepEqual(store.apiKeys.list().map((k) => k.id), ['k2']);
  });

  test('a role outside admin/user is refused by the schema', (t) => {
    const store = tempStore(t);
    assert.throws(() => store.accounts.put({ name: 'eve', secretHash: 'h', role: 'root' as 'admin' }), /CHECK constraint/);
    assert.equal(store.accounts.count(), 0);
  });
});

describe('API keys', () => {
  test('create returns the record with createdAt and no lastUsedAt; get and list find it', (t) => {
    const store = tempStore(t);
    const key = store.apiKeys.create({ id: 'k1', name: 'deploy', account: 'admin', secretHash: 'hash' });
    assert.equal(key.lastUsedAt, null);
    assert.ok(!Number.isNaN(Date.parse(key.createdAt)));
    assert.deepEqual(store.apiKeys.get('k1'), key);
    assert.deepEqual(store.apiKeys.list(), [key]);
    assert.equal(store.apiKeys.get('nope'), undefined);
  });

  test('a key may belong to an account that is not in the table (the fallback admin)', (t) => {
    const store = tempStore(t);
    store.apiKeys.create({ id: 'k1', name: 'deploy', account: 'fallback-admin', secretHash: 'hash' });
    assert.equal(store.apiKeys.get('k1')?.account, 'fallback-admin');
  });

  test('a reused id is a conflict and leaves the first key as it was', (t) => {
    const store = tempStore(t);
    const first = store.apiKeys.create({ id: 'k1', name: 'one', account: 'a', secretHash: 'h1' });
    assert.throws(
      () => store.apiKeys.create({ id: 'k1', name: 'two', account: 'b', secretHash: 'h2' }),
      (err: unknown) => err instanceof StoreConflictError && err.code === 'STORE_CONFLICT',
    );
    assert.deepEqual(store.apiKeys.list(), [first]);
  });

  test('touch records the time of use, at most once a minute', async (t) => {
    const store = tempStore(t);
    store.apiKeys.create({ id: 'k1', name: 'one', account: 'a', secretHash: 'h' });
    const before = Date.now();
    store.apiKeys.touch('k1');
    store.apiKeys.touch('unknown');
    const used = store.apiKeys.get('k1')?.lastUsedAt;
    assert.ok(used !== null && used !== undefined && Date.parse(used) >= before - 1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.apiKeys.touch('k1');
    assert.equal(store.apiKeys.get('k1')?.lastUsedAt, used);
  });

  test('list is oldest first; delete says whether the key existed', async (t) => {
    const store = tempStore(t);
    store.apiKeys.create({ id: 'z', name: 'first', account: 'a', secretHash: 'h' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.apiKeys.create({ id: 'a', name: 'second', account: 'a', secretHash: 'h' });
    assert.deepEqual(store.apiKeys.list().map((k) => k.name), ['first', 'second']);
    assert.equal(store.apiKeys.delete('z'), true);
    assert.equal(store.apiKeys.delete('z'), false);
    assert.deepEqual(store.apiKeys.list().map((k) => k.id), ['a']);
  });
});

describe('audited writes', () => {
  test('the write and its audit entry land together, or neither does', (t) => {
    const store = tempStore(t);
    store.accounts.put({ name: 'alice', secretHash: 'h', role: 'admin' });
    assert.throws(
      () =>
        store.audited(
          () => store.accounts.delete('alice'),
          () => {
            throw new Error('the audit entry cannot be written');
          },
        ),
      /cannot be written/,
    );
    assert.equal(store.accounts.get('alice')?.name, 'alice', 'the delete was rolled back with the failed audit');
    assert.equal(store.audit.list(10, 1).total, 0);

    assert.equal(
      store.audited(
        () => store.accounts.delete('alice'),
        (done) => (done ? { actor: 'root', action: 'account.delete', keys: ['alice'], changes: [] } : undefined),
      ),
      true,
    );
    assert.equal(store.accounts.get('alice'), undefined);
    assert.deepEqual(store.audit.list(10, 1).items.map((e) => [e.action, e.keys]), [['account.delete', ['alice']]]);

    assert.equal(store.audited(() => store.accounts.delete('alice'), (done) => (done ? { actor: 'root', action: 'account.delete', keys: ['alice'], changes: [] } : undefined)), false);
    assert.equal(store.audit.list(10, 1).total, 1, 'nothing deleted, nothing audited');
  });
});
