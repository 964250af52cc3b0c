import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { hashPassword, isPlaintextSecret, secretFormat, verifySecret, type SecretFormat } from './hashes.js';

// Reference argon2 vectors (phc-winner-argon2 src/test.c): password "password", salt "somesalt".
const ARGON2ID_PASSWORD = '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4';
const ARGON2I_PASSWORD = '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8';
const SHA512_HELLO = '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
const SHA256_HELLO = '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5';

describe('verifySecret', () => {
  const cases: { name: string; stored: string; presented: string; expected: boolean }[] = [
    { name: 'plain text, right', stored: 'changeme', presented: 'changeme', expected: true },
    { name: 'plain text, wrong', stored: 'changeme', presented: 'changeMe', expected: false },
    { name: 'plain text, prefix of the secret', stored: 'changeme', presented: 'change', expected: false },
    { name: 'plain text, longer than the secret', stored: 'changeme', presented: 'changeme!', expected: false },
    { name: 'plain text, unicode', stored: 'пароль🔑', presented: 'пароль🔑', expected: true },
    { name: '{PLAIN} prefix', stored: '{PLAIN}changeme', presented: 'changeme', expected: true },
    { name: '{CLEAR} prefix, lowercase', stored: '{clear}changeme', presented: 'changeme', expected: true },
    { name: '{PLAIN} prefix is not part of the secret', stored: '{PLAIN}changeme', presented: '{PLAIN}changeme', expected: false },
    { name: 'empty stored secret never matches', stored: '', presented: '', expected: false },
    { name: 'empty {PLAIN} secret never matches', stored: '{PLAIN}', presented: '', expected: false },
    { name: 'empty presented secret never matches', stored: 'changeme', presented: '', expected: false },
    { name: 'argon2id reference vector', stored: ARGON2ID_PASSWORD, presented: 'password', expected: true },
    { name: 'argon2id reference vector, wrong', stored: ARGON2ID_PASSWORD, presented: 'Password', expected: false },
    { name: 'argon2i reference vector', stored: ARGON2I_PASSWORD, presented: 'password', expected: true },
    { name: 'argon2i reference vector, wrong', stored: ARGON2I_PASSWORD, presented: 'passwor', expected: false },
    { name: 'argon2id with a damaged digest', stored: ARGON2ID_PASSWORD.slice(0, -2), presented: 'password', expected: false },
    { name: 'argon2id that is not a PHC string', stored: '$argon2id$garbage', presented: 'password', expected: false },
    { name: 'SHA-512 crypt', stored: SHA512_HELLO, presented: 'Hello world!', expected: true },
    { name: 'SHA-512 crypt, wrong', stored: SHA512_HELLO, presented: 'Hello world', expected: false },
    { name: '{CRYPT}-wrapped SHA-512 crypt', stored: `{CRYPT}${SHA512_HELLO}`, presented: 'Hello world!', expected: true },
    { name: 'SHA-256 crypt', stored: SHA256_HELLO, presented: 'Hello world!', expected: true },
    { name: 'SHA-256 crypt, wrong', stored: SHA256_HELLO, presented: 'hello world!', expected: false },
    { name: 'MD5 crypt is not supported', stored: '$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1', presented: 'Hello world!', expected: false },
    { name: 'yescrypt is not supported', stored: '$y$j9T$abc$def', presented: 'x', expected: false },
    { name: 'unknown $ format', stored: '$pbkdf2-sha256$29000$abc$def', presented: 'x', expected: false },
    { name: 'unknown $ format equal to the presented text', stored: '$notahash$', presented: '$notahash$', expected: false },
    { name: 'BSDi crypt (_) is not supported', stored: '_J9..CCCCXBrJUJV154M', presented: 'U*U*U*U*', expected: false },
    { name: 'unknown {SCHEME}', stored: '{SSHA}abcdef', presented: 'x', expected: false },
  ];
  for (const { name, stored, presented, expected } of cases) {
    test(name, async () => assert.equal(await verifySecret(stored, presented), expected));
  }

  test('bcrypt $2a$, $2b$ and $2y$', async () => {
    const hashed = await bcrypt.hash('open sesame', 4);
    for (const version of ['2a', '2b', '2y']) {
      const stored = hashed.replace(/^\$2[aby]\$/, `$${version}$`);
      assert.equal(await verifySecret(stored, 'open sesame'), true, version);
      assert.equal(await verifySecret(stored, 'open sesamE'), false, version);
    }
    assert.equal(await verifySecret(hashed.slice(0, 40), 'open sesame'), false);
  });
});

describe('hashPassword', () => {
  test('makes argon2id with the OWASP parameters, verified by verifySecret', async () => {
    const hashed = await hashPassword('correct horse battery staple');
    assert.match(hashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifySecret(hashed, 'correct horse battery staple'), true);
    assert.equal(await verifySecret(hashed, 'correct horse battery stapl'), false);
    assert.equal(isPlaintextSecret(hashed), false);
  });

  test('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
  });

  // The best of three, so a test runner busy with other files does not make this flaky.
  test('takes under 100 ms', async () => {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await hashPassword('timed');
      fastest = Math.min(fastest, performance.now() - started);
    }
    assert.ok(fastest < 100, `took ${Math.round(fastest)} ms`);
  });
});

describe('secretFormat and isPlaintextSecret', () => {
  const cases: [string, SecretFormat][] = [
    ['changeme', 'plain'],
    ['{PLAIN}changeme', 'plain'],
    ['{CLEAR}changeme', 'plain'],
    ['', 'plain'],
    [ARGON2ID_PASSWORD, 'argon2'],
    [ARGON2I_PASSWORD, 'argon2'],
    [SHA512_HELLO, 'sha-crypt'],
    [SHA256_HELLO, 'sha-crypt'],
    [`{CRYPT}${SHA512_HELLO}`, 'sha-crypt'],
    ['$2b$10$abcdefghijklmnopqrstuuJ8b3cW5qGfJ0oI0y1Wj2bqzX8h5rC1m', 'bcrypt'],
    ['$1$abc$def', 'unknown'],
    ['$y$j9T$abc$def', 'unknown'],
    ['_J9..CCCCXBrJUJV154M', 'unknown'],
    ['{SSHA}abcdef', 'unknown'],
    ['{CRYPT}plain', 'unknown'],
  ];
  for (const [stored, format] of cases) {
    test(`${stored || '(empty)'} is ${format}`, () => {
      assert.equal(secretFormat(stored), format);
      assert.equal(isPlaintextSecret(stored), format === 'plain');
    });
  }
});
