import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { shaCrypt, verifyShaCrypt } from './shacrypt.js';

// The test vectors of "Unix crypt using SHA-256 and SHA-512" (Drepper), with the published
// erratum to the 1400-round key ("more than one line").
const VECTORS: { setting: string; password: string; expected: string }[] = [
  { setting: '$5$saltstring', password: 'Hello world!', expected: '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5' },
  { setting: '$5$rounds=10000$saltstringsaltstring', password: 'Hello world!', expected: '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA' },
  { setting: '$5$rounds=5000$toolongsaltstring', password: 'This is just a test', expected: '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5' },
  {
    setting: '$5$rounds=1400$anotherlongsaltstring',
    password: 'a very much longer text to encrypt.  This one even stretches over more than one line.',
    expected: '$5$rounds=1400$anotherlongsalts$epZZlHtH1tHOZ8DnGj41SJcfP6bNgf3t.hurPudKyU6',
  },
  { setting: '$5$rounds=77777$short', password: 'we have a short salt string but not a short password', expected: '$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/' },
  { setting: '$5$rounds=123456$asaltof16chars..', password: 'a short string', expected: '$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD' },
  { setting: '$5$rounds=10$roundstoolow', password: 'the minimum number is still observed', expected: '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC' },
  {
    setting: '$6$saltstring',
    password: 'Hello world!',
    expected: '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  },
  {
    setting: '$6$rounds=10000$saltstringsaltstring',
    password: 'Hello world!',
    expected: '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  },
  {
    setting: '$6$rounds=5000$toolongsaltstring',
    password: 'This is just a test',
    expected: '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
  },
  {
    setting: '$6$rounds=1400$anotherlongsaltstring',
    password: 'a very much longer text to encrypt.  This one even stretches over more than one line.',
    expected: '$6$rounds=1400$anotherlongsalts$WV8KW2lepsuKk13lXtVGnnEyZ.bCxFvSok6ZnkjRIa5iL0cAfvQyaZ2uA5CUvArDxyp3l9B/Z4D.HNqsIPpXk1',
  },
  {
    setting: '$6$rounds=77777$short',
    password: 'we have a short salt string but not a short password',
    expected: '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
  },
  {
    setting: '$6$rounds=123456$asaltof16chars..',
    password: 'a short string',
    expected: '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1',
  },
  {
    setting: '$6$rounds=10$roundstoolow',
    password: 'the minimum number is still observed',
    expected: '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
  },
];

describe('SHA-crypt specification vectors', () => {
  for (const { setting, password, expected } of VECTORS) {
    test(setting, () => {
      assert.equal(shaCrypt(password, setting)?.toString('utf8'), expected);
      assert.equal(verifyShaCrypt(expected, password), true);
      assert.equal(verifyShaCrypt(expected, password + 'x'), false);
    });
  }
});

describe('verifyShaCrypt', () => {
  const stored = VECTORS.find((v) => v.setting === '$6$saltstring')!.expected;

  test('a stored hash is its own setting', () => {
    assert.equal(shaCrypt('Hello world!', stored)?.toString('utf8'), stored);
  });

  test('wrong passwords fail, including near misses', () => {
    for (const wrong of ['', 'hello world!', 'Hello world', 'Hello world! ', 'Hello wörld!']) assert.equal(verifyShaCrypt(stored, wrong), false, wrong);
  });

  test('a damaged stored hash fails', () => {
    assert.equal(verifyShaCrypt(stored.slice(0, -1), 'Hello world!'), false);
    assert.equal(verifyShaCrypt(stored.slice(0, -1) + '2', 'Hello world!'), false);
    assert.equal(verifyShaCrypt(stored + 'x', 'Hello world!'), false);
    assert.equal(verifyShaCrypt(stored.replace('$6$', '$5$'), 'Hello world!'), false);
  });

  test('empty and multi-byte passwords hash', () => {
    for (const password of ['', 'пароль🔑', 'x'.repeat(200)]) {
      const hashed = shaCrypt(password, '$6$abc')!.toString('utf8');
      assert.match(hashed, /^\$6\$abc\$[./0-9A-Za-z]{86}$/);
      assert.equal(verifyShaCrypt(hashed, password), true);
    }
  });

  test('other formats are not SHA-crypt', () => {
    for (const setting of ['$1$abc$def', '$7$abc', 'saltstring', '']) assert.equal(shaCrypt('x', setting), undefined, setting);
  });

  test('passwords too long to hash cheaply are refused', () => {
    const long = 'x'.repeat(5000);
    const hashedWithoutLimit = '$6$abc$' + 'A'.repeat(86);
    assert.equal(shaCrypt(long, '$6$abc'), undefined);
    assert.equal(verifyShaCrypt(hashedWithoutLimit, long), false);
  });
});
