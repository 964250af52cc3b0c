import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSecretMask, MASKED_VALUE } from './index.js';
import { tempStore } from './test-helpers.js';

describe('defaultSecretMask', () => {
  const cases: [string, boolean][] = [
    ['authentication.fallback-admin.secret', true],
    ['directory.ldap.bind.secret', true],
    ['store.db.password', true],
    ['certificate.default.private-key', true],
    ['auth.oauth.token', true],
    ['tracer.webhook.api-key', true],
    ['acme.eab.key', true],
    ['session.access_key', true],
    ['admin.api-keys.0001', true],
    ['HTTP.API-KEY', true],
    ['http.hsts', false],
    ['http.url', false],
    ['http.headers.0000', false],
    ['certificate.default.cert', false],
    ['server.keyboard', false],
    ['server.tls.key-file', false],
    ['secret.hsts', false],
  ];
  for (const [key, secret] of cases) test(`${key} → ${secret ? 'masked' : 'shown'}`, () => assert.equal(defaultSecretMask(key), secret));
});

describe('audit log', () => {
  test('secret values are masked in the returned and the stored entry; null stays null', (t) => {
    const store = tempStore(t);
    store.applySettings([{ type: 'insert', values: [['authentication.fallback-admin.secret', 'old-hash']] }], 'setup');
    const entry = store.applySettings(
      [
        { type: 'insert', prefix: 'authentication.fallback-admin', values: [['secret', 'new-hash']] },
        { type: 'insert', prefix: 'certificate.default', values: [['private-key', 'PEM'], ['cert', 'CERT']] },
      ],
      'alice',
    );
    const expected = [
      { key: 'authentication.fallback-admin.secret', old: MASKED_VALUE, new: MASKED_VALUE },
      { key: 'certificate.default.cert', old: null, new: 'CERT' },
      { key: 'certificate.default.private-key', old: null, new: MASKED_VALUE },
    ];
    assert.deepEqual(entry.changes, expected);
    assert.deepEqual(store.audit.list(1, 1).items[0]?.changes, expected);
    // The store itself keeps the real value; only the log is masked.
    assert.equal(store.settings().get('authentication.fallback-admin.secret'), 'new-hash');
  });

  test('a removed secret is logged as masked → null', (t) => {
    const store = tempStore(t);
    store.applySettings([{ type: 'insert', values: [['store.db.password', 'p']] }], 'setup');
    const entry = store.applySettings([{ type: 'delete', keys: ['store.db.password'] }], 'alice');
    assert.deepEqual(entry.changes, [{ key: 'store.db.password', old: MASKED_VALUE, new: null }]);
  });

  test('a caller-supplied mask replaces the default', (t) => {
    const store = tempStore(t);
    const entry = store.applySettings(
      [{ type: 'insert', prefix: 'x', values: [['password', 'shown'], ['hidden', 'h']] }],
      'alice',
      { mask: (key) => key.endsWith('.hidden') },
    );
    assert.deepEqual(entry.changes, [
      { key: 'x.hidden', old: null, new: MASKED_VALUE },
      { key: 'x.password', old: null, new: 'shown' },
    ]);
  });

  test('append stores actor, action, keys and ip, masks secrets, and stamps id and time', (t) => {
    const store = tempStore(t);
    const before = Date.now();
    const entry = store.audit.append({
      actor: 'admin',
      action: 'account.create',
      keys: ['bob'],
      changes: [{ key: 'account.bob.password', old: null, new: 'plain' }],
      ip: '2001:db8::1',
    });
    assert.equal(typeof entry.id, 'number');
    assert.ok(Date.parse(entry.at) >= before - 1000 && entry.at.endsWith('Z'));
    assert.deepEqual(entry.changes, [{ key: 'account.bob.password', old: null, new: MASKED_VALUE }]);
    assert.deepEqual(store.audit.list(10, 1).items, [entry]);
    const withoutIp = store.audit.append({ actor: 'cli', action: 'reload', keys: [], changes: [] });
    assert.equal('ip' in withoutIp, false);
    assert.equal('ip' in store.audit.list(1, 1).items[0]!, false);
  });

  test('pages are newest first; page 0 reads as page 1; limit 0 lists everything', (t) => {
    const store = tempStore(t);
    for (let i = 1; i <= 25; i++) store.audit.append({ actor: `a${i}`, action: 'test', keys: [], changes: [] });
    const actors = (limit: number, page: number): string[] => store.audit.list(limit, page).items.map((e) => e.actor);
    assert.equal(store.audit.list(10, 1).total, 25);
    assert.deepEqual(actors(10, 1), ['a25', 'a24', 'a23', 'a22', 'a21', 'a20', 'a19', 'a18', 'a17', 'a16']);
    assert.deepEqual(actors(10, 3), ['a5', 'a4', 'a3', 'a2', 'a1']);
    assert.deepEqual(actors(10, 4), []);
    assert.deepEqual(actors(3, 0), actors(3, 1));
    assert.equal(actors(0, 7).length, 25);
    assert.equal(actors(Number.NaN, Number.NaN).length, 25);
    const ids = store.audit.list(0, 1).items.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  });
});
