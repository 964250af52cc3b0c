// SHA-crypt, the `$5$` (SHA-256) and `$6$` (SHA-512) hashes of glibc's crypt(3), written from
// Ulrich Drepper's specification "Unix crypt using SHA-256 and SHA-512"
// (https://www.akkadia.org/drepper/SHA-crypt.txt). The step numbers below are the spec's.
import { createHash, timingSafeEqual } from 'node:crypto';

interface Variant {
  readonly algorithm: 'sha256' | 'sha512';
  readonly digestBytes: number;
  /** Digest byte indices in the order the spec's step 22 encodes them, three at a time. */
  readonly encodingOrder: readonly number[];
}

const VARIANTS: Readonly<Record<string, Variant>> = {
  '5': {
    algorithm: 'sha256',
    digestBytes: 32,
    encodingOrder: [
      0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17,
      18, 28, 8, 9, 19, 29, 31, 30,
    ],
  },
  '6': {
    algorithm: 'sha512',
    digestBytes: 64,
    encodingOrder: [
      0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7,
      50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57,
      37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41, 63,
    ],
  },
};

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX_BYTES = 16;
// Every round hashes the password three times, so its length multiplies the work: refuse
// absurd inputs rather than let one request occupy the event loop.
const PASSWORD_MAX_BYTES = 4096;

const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function isShaCrypt(stored: string): boolean {
  return /^\$[56]\$/.test(stored);
}

/** Whether `password` hashes to `stored` (a complete `$5$…` or `$6$…` string); constant time. */
export function verifyShaCrypt(stored: string, password: string): boolean {
  const expected = Buffer.from(stored, 'utf8');
  const actual = shaCrypt(password, stored);
  return actual !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The crypt(3) string for `password` under `setting` (`$6$[rounds=N$]salt[$…]`: anything after
 * the salt is ignored, so a stored hash is its own setting). `undefined` when not SHA-crypt.
 */
export function shaCrypt(password: string, setting: string): Buffer | undefined {
  const parsed = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)/.exec(setting);
  const variant = parsed && VARIANTS[parsed[1]!];
  if (!parsed || !variant) return undefined;
  const key = Buffer.from(password, 'utf8');
  if (key.length > PASSWORD_MAX_BYTES) return undefined;
  const salt = Buffer.from(parsed[3]!, 'utf8').subarray(0, SALT_MAX_BYTES);
  const requestedRounds = parsed[2] === undefined ? undefined : Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(parsed[2])));
  const digest = shaCryptDigest(variant, key, salt, requestedRounds ?? ROUNDS_DEFAULT);
  // The rounds are written back only when the setting named them, even if they equal the default.
  const roundsPart = requestedRounds === undefined ? '' : `rounds=${requestedRounds}$`;
  return Buffer.concat([
    Buffer.from(`$${parsed[1]}$${roundsPart}`),
    salt,
    Buffer.from('$' + encodeDigest(digest, variant.encodingOrder)),
  ]);
}

function shaCryptDigest(variant: Variant, key: Buffer, salt: Buffer, rounds: number): Buffer {
  const hash = (...parts: Buffer[]): Buffer => {
    const h = createHash(variant.algorithm);
    for (const part of parts) h.update(part);
    return h.digest();
  };

  // Steps 4-8: digest B.
  const b = hash(key, salt, key);

  // Steps 1-3, 9-12: digest A.
  const a = createHash(variant.algorithm).update(key).update(salt);
  a.update(repeatToLength(b, key.length));
  for (let n = key.length; n > 0; n >>= 1) a.update(n & 1 ? b : key);
  const digestA = a.digest();

  // Steps 13-16: the byte sequence P, from digest DP.
  const p = repeatToLength(hash(...Array<Buffer>(key.length).fill(key)), key.length);

  // Steps 17-20: the byte sequence S, from digest DS; note 16 + A[0] repetitions.
  const s = repeatToLength(hash(...Array<Buffer>(16 + digestA[0]!).fill(salt)), salt.length);

  // Step 21: the rounds that make it slow.
  let c = digestA;
  for (let round = 0; round < rounds; round++) {
    const h = createHash(variant.algorithm);
    h.update(round & 1 ? p : c);
    if (round % 3 !== 0) h.update(s);
    if (round % 7 !== 0) h.update(p);
    h.update(round & 1 ? c : p);
    c = h.digest();
  }
  return c;
}

/** `block` concatenated with itself and cut to `length` bytes. */
function repeatToLength(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
}

// Step 22: groups of three bytes become four characters, least significant six bits first;
// a final group of one or two bytes becomes two or three characters.
function encodeDigest(digest: Buffer, order: readonly number[]): string {
  let out = '';
  for (let i = 0; i < order.length; i += 3) {
    const group = order.slice(i, i + 3);
    let bits = group.reduce((acc, index) => (acc << 8) | digest[index]!, 0);
    for (let chars = group.length + 1; chars > 0; chars--) {
      out += CRYPT_ALPHABET[bits & 0x3f];
      bits >>>= 6;
    }
  }
  return out;
}
