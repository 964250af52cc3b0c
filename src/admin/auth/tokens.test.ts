import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { TokenIssuer } from './tokens.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('TokenIssuer', () => {
  test('round trip', () => {
    const issuer = new TokenIssuer();
    const { token, expiresAt } = issuer.issue('admin', HOUR, NOW);
    assert.equal(expiresAt, '2025-01-01T01:00:00.000Z');
    assert.equal(issuer.verify(token, NOW), 'admin');
    assert.equal(issuer.verify(token, NOW + HOUR - 1), 'admin');
  });

  test('account names with any characters survive', () => {
    const issuer = new TokenIssuer();
    for (const account of ['jürgen@example.org', 'a.b', 'with "quotes" and \\', '🔑']) {
      assert.equal(issuer.verify(issuer.issue(account, HOUR, NOW).token, NOW), account);
    }
  });

  test('the token fits RFC 6750 b64token and is not an API key', () => {
    const { token } = new TokenIssuer().issue('admin', HOUR, NOW);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(!token.startsWith('pk_'));
  });

  test('expires at expiresAt exactly', () => {
    const issuer = new TokenIssuer();
    const { token } = issuer.issue('admin', HOUR, NOW);
    assert.equal(issuer.verify(token, NOW + HOUR), undefined);
    assert.equal(issuer.verify(token, NOW + 10 * HOUR), undefined);
  });

  test('a tampered payload is refused', () => {
    const issuer = new TokenIssuer();
    const { token } = issuer.issue('alice', HOUR, NOW);
    const [, mac] = token.split('.');
    const forged = (claims: object): string => `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
    assert.equal(issuer.verify(forged({ sub: 'admin', exp: NOW + HOUR }), NOW), undefined);
    assert.equal(issuer.verify(forged({ sub: 'alice', exp: NOW + 100 * HOUR }), NOW + 2 * HOUR), undefined);
  });

  test('a tampered MAC is refused, including a non-canonical last character', () => {
    const issuer = new TokenIssuer();
    const { token } = issuer.issue('admin', HOUR, NOW);
    // The last of 43 characters carries the MAC's final 4 bits and 2 unused ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const withLastBits = (xor: number): string => token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) ^ xor];
    assert.equal(issuer.verify(withLastBits(0b000100), NOW), undefined); // a MAC bit
    assert.equal(issuer.verify(withLastBits(0b000001), NOW), undefined); // an unused bit: same bytes
    const [payload] = token.split('.');
    assert.equal(issuer.verify(`${payload}.${Buffer.alloc(32).toString('base64url')}`, NOW), undefined);
  });

  test('a token from another key is refused; the same key accepts it', () => {
    const key = randomBytes(32);
    const { token } = new TokenIssuer(key).issue('admin', HOUR, NOW);
    assert.equal(new TokenIssuer().verify(token, NOW), undefined);
    assert.equal(new TokenIssuer(randomBytes(32)).verify(token, NOW), undefined);
    assert.equal(new TokenIssuer(Buffer.from(key)).verify(token, NOW), 'admin');
  });

  test('changing the key buffer afterwards does not change the issuer', () => {
    const key = randomBytes(32);
    const issuer = new TokenIssuer(key);
    const { token } = issuer.issue('admin', HOUR, NOW);
    key.fill(0);
    assert.equal(issuer.verify(token, NOW), 'admin');
  });

  describe('malformed tokens are refused', () => {
    const issuer = new TokenIssuer();
    const { token } = issuer.issue('admin', HOUR, NOW);
    const [payload, mac] = token.split('.') as [string, string];
    const cases: [string, string][] = [
      ['empty', ''],
      ['no dot', payload + mac],
      ['three parts', `${token}.x`],
      ['empty payload', `.${mac}`],
      ['empty MAC', `${payload}.`],
      ['padding', `${payload}.${mac}=`],
      ['standard base64 characters', `${payload}+.${mac}`],
      ['short MAC', `${payload}.${mac.slice(0, 20)}`],
      ['an API key', 'pk_0123456789abcdef_' + 'A'.repeat(43)],
    ];
    for (const [name, value] of cases) test(name, () => assert.equal(issuer.verify(value, NOW), undefined));

    // Signed with the right key, so only the claims check stands in the way.
    test('correctly signed payloads that are not the expected claims', () => {
      const key = randomBytes(32);
      const signed = (claims: string): string => {
        const encoded = Buffer.from(claims).toString('base64url');
        return `${encoded}.${createHmac('sha256', key).update('parapet login token v1\n').update(encoded).digest('base64url')}`;
      };
      const keyed = new TokenIssuer(key);
      assert.equal(keyed.verify(signed(`{"sub":"admin","exp":${NOW + HOUR}}`), NOW), 'admin');
      for (const claims of ['null', '[]', '"admin"', '{"sub":"admin"}', '{"exp":1e99}', '{"sub":"","exp":1e99}', '{"sub":1,"exp":1e99}', '{"sub":"admin","exp":"1e99"}', 'not json']) {
        assert.equal(keyed.verify(signed(claims), NOW), undefined, claims);
      }
    });
  });

  test('bad construction and issue arguments throw', () => {
    assert.throws(() => new TokenIssuer(randomBytes(16)), RangeError);
    const issuer = new TokenIssuer();
    assert.throws(() => issuer.issue('admin', 0, NOW), RangeError);
    assert.throws(() => issuer.issue('admin', -1, NOW), RangeError);
    assert.throws(() => issuer.issue('admin', Number.NaN, NOW), RangeError);
    assert.throws(() => issuer.issue('', HOUR, NOW), RangeError);
  });
});
