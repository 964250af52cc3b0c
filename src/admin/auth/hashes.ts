// Stored secrets, as Stalwart accepts them in `authentication.fallback-admin.secret` and in
// account records: plain text, or a hash recognised by its prefix.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { isShaCrypt, verifyShaCrypt } from './shacrypt.js';

export type SecretFormat = 'plain' | 'argon2' | 'sha-crypt' | 'bcrypt' | 'unknown';

// OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 iterations, 1 degree of parallelism.
const ARGON2ID_PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * What kind of secret `stored` is. Like Stalwart, a value starting with `$`, `{` or `_` is a
 * hash (a Dovecot-style `{PLAIN}`/`{CLEAR}` prefix marks plain text, `{CRYPT}` wraps a crypt
 * hash); anything else is the password itself.
 */
export function secretFormat(stored: string): SecretFormat {
  return classify(stored).format;
}

/** Whether `stored` holds the password itself rather than a hash of it (for the security report). */
export function isPlaintextSecret(stored: string): boolean {
  return secretFormat(stored) === 'plain';
}

/**
 * Whether `presented` matches `stored`. Unknown or malformed hashes, and empty secrets on
 * either side, never match. Every comparison is constant-time in the secret's content.
 */
export async function verifySecret(stored: string, presented: string): Promise<boolean> {
  // An empty stored secret would otherwise match an empty password.
  if (presented === '') return false;
  const { format, value } = classify(stored);
  switch (format) {
    case 'plain':
      return equalPlain(value, presented);
    case 'argon2':
      // The argon2 crate behind @node-rs/argon2 compares its outputs in constant time.
      return argon2Verify(value, presented).catch(() => false);
    case 'sha-crypt':
      return verifyShaCrypt(value, presented);
    case 'bcrypt':
      return verifyBcrypt(value, presented);
    case 'unknown':
      return false;
  }
}

/** An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt. */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2ID_PARAMS);
}

function classify(stored: string): { format: SecretFormat; value: string } {
  const scheme = /^\{([A-Z0-9.-]+)\}/i.exec(stored);
  if (scheme) {
    const value = stored.slice(scheme[0].length);
    const name = scheme[1]!.toUpperCase();
    if (name === 'PLAIN' || name === 'CLEAR') return { format: 'plain', value };
    if (name === 'CRYPT' && value.startsWith('$')) return { format: classify(value).format, value };
    return { format: 'unknown', value };
  }
  if (/^\$argon2(?:id|i|d)\$/.test(stored)) return { format: 'argon2', value: stored };
  if (isShaCrypt(stored)) return { format: 'sha-crypt', value: stored };
  if (/^\$2[aby]\$\d\d\$/.test(stored)) return { format: 'bcrypt', value: stored };
  if (/^[$_]/.test(stored)) return { format: 'unknown', value: stored };
  return { format: 'plain', value: stored };
}

// Comparing digests rather than the strings keeps the length of the stored secret from
// showing in the timing as well.
function equalPlain(stored: string, presented: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(stored), digest(presented));
}

// bcrypt reads only the first 72 bytes of a password: that is the algorithm, not a bug here.
async function verifyBcrypt(stored: string, presented: string): Promise<boolean> {
  const settingLength = '$2b$10$'.length + 22; // version, cost, 22 characters of salt
  try {
    const recomputed = Buffer.from(await bcrypt.hash(presented, stored.slice(0, settingLength)));
    const expected = Buffer.from(stored);
    return recomputed.length === expected.length && timingSafeEqual(recomputed, expected);
  } catch {
    return false;
  }
}
