import { randomBytes } from 'node:crypto';
import type { AdminSettings } from '../../config/settings.js';
import {
  hashPassword,
  parseApiKeyToken,
  parseAuthorization,
  verifyApiKeySecret,
  verifySecret,
  type AuthFailureTracker,
  type TokenIssuer,
} from '../auth/index.js';
import type { Store } from '../store/index.js';

export interface Principal {
  readonly account: string;
  readonly role: 'admin' | 'user';
  readonly via: 'basic' | 'token' | 'api-key';
}

export type AuthOutcome = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly status: 401 | 403; readonly detail: string };

export interface Authenticator {
  authenticate(authorization: string | undefined, ip: string): Promise<AuthOutcome>;
  /** A user name and password, as the login call and Basic authentication present them. */
  checkPassword(user: string, password: string, ip: string): Promise<AuthOutcome>;
}

export function createAuthenticator(admin: () => AdminSettings, store: Store, tokens: TokenIssuer, failures: AuthFailureTracker): Authenticator {
  const fail = (ip: string, detail: string): AuthOutcome => {
    const { banned } = failures.recordFailure(ip);
    return banned ? { ok: false, status: 403, detail: 'too many failed logins from this address' } : { ok: false, status: 401, detail };
  };

  const checkPassword = async (user: string, password: string, ip: string): Promise<AuthOutcome> => {
    if (failures.isBanned(ip)) return { ok: false, status: 403, detail: 'too many failed logins from this address' };
    const fallback = admin().fallbackAdmin;
    let ok = false;
    let role: Principal['role'] = 'user';
    if (fallback && user === fallback.user) {
      ok = await verifySecret(fallback.secret, password);
      role = 'admin';
    } else {
      const account = store.accounts.get(user);
      // Unknown users cost a hash verification too, so timing does not tell which names exist.
      ok = account ? await verifySecret(account.secretHash, password) : (await verifySecret(await dummyHash(), password), false);
      role = account?.role ?? 'user';
    }
    if (!ok) return fail(ip, 'wrong user name or password');
    failures.recordSuccess(ip);
    return { ok: true, principal: { account: user, role, via: 'basic' } };
  };

  const authenticate = async (authorization: string | undefined, ip: string): Promise<AuthOutcome> => {
    if (failures.isBanned(ip)) return { ok: false, status: 403, detail: 'too many failed logins from this address' };
    const creds = parseAuthorization(authorization);
    if (!creds) return { ok: false, status: 401, detail: authorization ? 'the Authorization header is malformed' : 'authentication required' };
    if (creds.kind === 'basic') return checkPassword(creds.user, creds.password, ip);
    const key = parseApiKeyToken(creds.token);
    if (key) {
      const record = store.apiKeys.get(key.id);
      if (!record || !verifyApiKeySecret(record.secretHash, key.secret)) return fail(ip, 'unknown or revoked API key');
      const role = record.account === admin().fallbackAdmin?.user ? 'admin' : (store.accounts.get(record.account)?.role ?? 'user');
      store.apiKeys.touch(record.id);
      return { ok: true, principal: { account: record.account, role, via: 'api-key' } };
    }
    const account = tokens.verify(creds.token);
    if (account === undefined) return fail(ip, 'the token is invalid or has expired');
    const role = account === admin().fallbackAdmin?.user ? 'admin' : store.accounts.get(account)?.role;
    if (!role) return fail(ip, 'the token names an account that no longer exists');
    return { ok: true, principal: { account, role, via: 'token' } };
  };

  return { authenticate, checkPassword };
}

// A hash of a random string, verified against when the user does not exist.
let dummy: Promise<string> | undefined;
const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString('hex')));
