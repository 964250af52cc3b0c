// Long-lived API keys: `pk_<id>_<secret>`, shown once. The id names the stored record (and the
// URL to revoke it); only a hash of the secret is kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'pk_';
const ID_BYTES = 8; // 16 hex characters: no `_`, so the id ends at a fixed place
const SECRET_BYTES = 32; // 43 base64url characters
const TOKEN = /^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

export interface ApiKey {
  readonly id: string;
  readonly secret: string;
  /** What the user pastes after `Authorization: Bearer`. */
  readonly token: string;
}

export function generateApiKey(): ApiKey {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, secret, token: `${PREFIX}${id}_${secret}` };
}

export function parseApiKeyToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  // Only the canonical encoding: the last character's unused bits must be zero.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return undefined;
  return { id, secret };
}

// The secret is 32 random bytes, so nothing is gained from a slow password hash: a guess is
// as hard against SHA-256 as against argon2, and every API request can afford to check it.
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function verifyApiKeySecret(storedHash: string, secret: string): boolean {
  if (!SHA256_HEX.test(storedHash)) return false;
  return timingSafeEqual(Buffer.from(storedHash, 'hex'), createHash('sha256').update(secret, 'utf8').digest());
}
