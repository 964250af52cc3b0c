import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateApiKey, hashApiKeySecret, parseApiKeyToken, verifyApiKeySecret } from './apikeys.js';

describe('API keys', () => {
  test('generate, parse, hash and verify', () => {
    const key = generateApiKey();
    assert.match(key.token, /^pk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(parseApiKeyToken(key.token), { id: key.id, secret: key.secret });
    const stored = hashApiKeySecret(key.secret);
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.equal(verifyApiKeySecret(stored, key.secret), true);
    assert.equal(verifyApiKeySecret(stored.toUpperCase(), key.secret), true);
  });

  test('ids and secrets are distinct', () => {
    const keys = Array.from({ length: 1000 }, generateApiKey);
    assert.equal(new Set(keys.map((k) => k.id)).size, keys.length);
    assert.equal(new Set(keys.map((k) => k.secret)).size, keys.length);
  });

  test('a secret containing `_` or `-` still parses', () => {
    const secret = 'a_b-'.repeat(10) + 'abA';
    assert.deepEqual(parseApiKeyToken(`pk_0123456789abcdef_${secret}`), { id: '0123456789abcdef', secret });
  });

  test('the hash is SHA-256 of the secret', () => {
    assert.equal(hashApiKeySecret('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('wrong secrets and malformed stored hashes do not verify', () => {
    const { secret } = generateApiKey();
    const stored = hashApiKeySecret(secret);
    assert.equal(verifyApiKeySecret(stored, generateApiKey().secret), false);
    assert.equal(verifyApiKeySecret(stored, secret.slice(0, -1)), false);
    assert.equal(verifyApiKeySecret(stored, ''), false);
    for (const bad of ['', stored.slice(0, -1), stored + '0', 'g'.repeat(64), secret]) assert.equal(verifyApiKeySecret(bad, secret), false, bad);
  });

  describe('malformed tokens do not parse', () => {
    const { id, secret } = generateApiKey();
    const cases: [string, string][] = [
      ['empty', ''],
      ['no prefix', `${id}_${secret}`],
      ['other prefix', `sk_${id}_${secret}`],
      ['uppercase prefix', `PK_${id}_${secret}`],
      ['uppercase id', `pk_${id.toUpperCase().replace(/^[0-9]*/, 'A')}_${secret}`],
      ['short id', `pk_${id.slice(1)}_${secret}`],
      ['long id', `pk_${id}0_${secret}`],
      ['short secret', `pk_${id}_${secret.slice(1)}`],
      ['long secret', `pk_${id}_${secret}A`],
      ['padded secret', `pk_${id}_${secret}=`],
      ['standard base64 secret', `pk_${id}_${secret.slice(0, -1)}+`],
      ['missing separator', `pk_${id}${secret}`],
      ['surrounding space', ` pk_${id}_${secret}`],
      ['a login token', 'eyJzdWIiOiJhZG1pbiJ9.' + 'A'.repeat(43)],
    ];
    for (const [name, token] of cases) test(name, () => assert.equal(parseApiKeyToken(token), undefined));

    test('a non-canonical last character', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(secret.at(-1)!) ^ 1];
      assert.equal(parseApiKeyToken(`pk_${id}_${secret.slice(0, -1)}${sibling}`), undefined);
    });
  });
});
