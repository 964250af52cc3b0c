// Short-lived login tokens: `<payload>.<mac>`, both base64url, where the payload is
// `{"sub":account,"exp":epochMs}` and the MAC is HMAC-SHA256 under a key held in memory.
// Nothing is stored per token, so a restart (a new key) signs everyone out: they are short-lived.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_BYTES = 32;
const MAC_BYTES = 32;
// Binds the MAC to this use, should the key ever sign anything else.
const MAC_CONTEXT = 'parapet login token v1\n';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface IssuedToken {
  readonly token: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

export class TokenIssuer {
  readonly #key: Buffer;

  /** `key` defaults to 32 random bytes; pass one to share tokens between instances. */
  constructor(key: Buffer = randomBytes(KEY_BYTES)) {
    if (key.length < KEY_BYTES) throw new RangeError(`the token key must be at least ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key); // a copy, so the caller cannot change it afterwards
  }

  issue(account: string, ttlMs: number, now: number = Date.now()): IssuedToken {
    if (account === '') throw new RangeError('a token needs an account name');
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`the token lifetime must be a positive number of milliseconds, got ${ttlMs}`);
    const expiresAtMs = Math.floor(now + ttlMs);
    const payload = Buffer.from(JSON.stringify({ sub: account, exp: expiresAtMs })).toString('base64url');
    return { token: `${payload}.${this.#mac(payload).toString('base64url')}`, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  /** The account the token was issued for, or `undefined` if it is forged, expired or malformed. */
  verify(token: string, now: number = Date.now()): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 2) return undefined;
    const [payload, mac] = parts as [string, string];
    if (!BASE64URL.test(payload) || !BASE64URL.test(mac)) return undefined;
    const presentedMac = Buffer.from(mac, 'base64url');
    // Re-encoding refuses the variants that differ only in the last character's unused bits.
    if (presentedMac.length !== MAC_BYTES || presentedMac.toString('base64url') !== mac) return undefined;
    if (!timingSafeEqual(presentedMac, this.#mac(payload))) return undefined;
    const claims = parseClaims(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!claims || now >= claims.exp) return undefined;
    return claims.sub;
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#key).update(MAC_CONTEXT).update(payload).digest();
  }
}

function parseClaims(json: string): { sub: string; exp: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { sub, exp } = value as Record<string, unknown>;
  return typeof sub === 'string' && sub !== '' && typeof exp === 'number' && Number.isFinite(exp) ? { sub, exp } : undefined;
}
