// The management API under /api/: JSON in and out, errors as problem+json. Settings routes
// follow Stalwart's management API so its scripts work unchanged; every request is
// authenticated before its route is looked up, so strangers learn nothing about routes.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { LoadResult } from '../../config/load.js';
import type { Settings } from '../../config/settings.js';
import { sharedList } from '../../net/header-list.js';
import { explain, type ExplainRequest } from '../../policy/explain.js';
import type { CompiledPolicy } from '../../policy/index.js';
import { generateApiKey, hashApiKeySecret, hashPassword, type TokenIssuer } from '../auth/index.js';
import { applyChanges, parseChangeList, StoreConflictError, StoreInvalidChangeError, type Account, type ApiKeyRecord, type SettingChange, type Store } from '../store/index.js';
import type { Authenticator, Principal } from './authenticate.js';
import { BodyError, readJson } from './body.js';
import { securityReport } from './report.js';

export interface ApiExchange {
  readonly method: string;
  readonly path: string;
  /** Path and query. */
  readonly url: string;
  readonly clientIp: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable & { headers: IncomingHttpHeaders };
  /** Writes the answer with the policy's headers for this request (HSTS, CORS, http.headers). */
  reply(status: number, json: unknown, extra?: readonly string[]): void;
}

export interface LiveConfig {
  readonly settings: Settings;
  /** The effective flat config: file, then stored settings over it. */
  readonly flat: ReadonlyMap<string, string>;
  /** Keys of `flat` from Parapet's built-in config (see LoadResult). */
  readonly builtIn: ReadonlySet<string>;
  readonly policy: CompiledPolicy;
}

export interface AdminDeps {
  readonly store: Store;
  readonly authenticator: Authenticator;
  readonly tokens: TokenIssuer;
  current(): LiveConfig;
  /** Loads the config file with these stored settings over it, without applying anything. */
  validate(overlay: ReadonlyMap<string, string>): LoadResult;
  reload(): Promise<{ ok: boolean; diagnostics: LoadResult['diagnostics'] }>;
  plaintextAdminSecret(): boolean;
}

const BODY_LIMIT = 1_048_576;
const SECRET_KEY = /(secret|password|private-key|token)$/;
export const MASK = '********';

export const WWW_AUTHENTICATE = sharedList(['www-authenticate', 'Basic realm="Parapet", charset="UTF-8", Bearer realm="Parapet"']);

const problem = (status: number, detail: string, extra?: Record<string, unknown>) => ({ type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra });
const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Content Too Large' };

export class AdminApi {
  constructor(private readonly d: AdminDeps) {}

  async handle(x: ApiExchange): Promise<void> {
    try {
      if (x.path === '/api/auth/login') return await this.login(x);
      const auth = await this.d.authenticator.authenticate(x.headers.authorization, x.clientIp);
      if (!auth.ok) return x.reply(auth.status, problem(auth.status, auth.detail), auth.status === 401 ? WWW_AUTHENTICATE : undefined);
      if (auth.principal.role !== 'admin') return x.reply(403, problem(403, 'this account is not an administrator'));
      return await this.route(x, auth.principal);
    } catch (err) {
      if (err instanceof BodyError) return x.reply(err.status, problem(err.status, err.message));
      throw err;
    }
  }

  private async login(x: ApiExchange): Promise<void> {
    if (x.method !== 'POST') return x.reply(405, problem(405, 'use POST'), ['allow', 'POST']);
    const body = (await readJson(x.body, BODY_LIMIT)) as { username?: unknown; password?: unknown } | undefined;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string') {
      return x.reply(400, problem(400, 'expected {"username": "…", "password": "…"}'));
    }
    const auth = await this.d.authenticator.checkPassword(body.username, body.password, x.clientIp);
    if (!auth.ok) return x.reply(auth.status, problem(auth.status, auth.detail));
    const { token, expiresAt } = this.d.tokens.issue(auth.principal.account, this.d.current().settings.admin.tokenTtlMs);
    x.reply(200, { data: { token, expiresAt } });
  }

  private async route(x: ApiExchange, who: Principal): Promise<void> {
    const q = new URL(x.url, 'http://x').searchParams;
    const m = x.method;
    const p = x.path;
    if (p === '/api/settings/list' && m === 'GET') return x.reply(200, { data: this.list(q) });
    if (p === '/api/settings/keys' && m === 'GET') return x.reply(200, { data: this.keys(q) });
    if (p === '/api/settings' && m === 'POST') {
      const changes = parseChangeList(await readJson(x.body, BODY_LIMIT));
      if (!changes) return x.reply(400, problem(400, 'expected a list of {"type": "insert"|"delete"|"clear", …} changes'));
      return this.write(x, who, changes);
    }
    if (p.startsWith('/api/settings/') && m === 'DELETE') return this.write(x, who, [{ type: 'clear', prefix: decodeURIComponent(p.slice('/api/settings/'.length)) }]);
    if (p === '/api/reload' && m === 'GET') return this.reload(x, q.get('dry-run') === 'true');
    if (p === '/api/security-report' && m === 'GET') {
      const findings = securityReport({ settings: this.d.current().settings, plaintextAdminSecret: this.d.plaintextAdminSecret(), now: Date.now() });
      return x.reply(200, { data: { findings } });
    }
    if (p === '/api/config/effective' && m === 'GET') return x.reply(200, { data: this.effective() });
    if (p === '/api/audit' && m === 'GET') {
      const { limit, page } = paging(q);
      return x.reply(200, { data: this.d.store.audit.list(limit, page) });
    }
    if (p === '/api/explain' && m === 'POST') {
      const body = (await readJson(x.body, BODY_LIMIT)) as ExplainRequest | undefined;
      if (!body || typeof body.method !== 'string' || typeof body.path !== 'string' || typeof body.ip !== 'string' || (body.scheme !== 'http' && body.scheme !== 'https')) {
        return x.reply(400, problem(400, 'expected {"method", "path", "ip", "scheme": "http"|"https", "origin"?, "host"?, "headers"?: [[name, value]]}'));
      }
      return x.reply(200, { data: explain(this.d.current().policy, body) });
    }
    if (p === '/api/accounts') {
      if (m === 'GET') return x.reply(200, { data: this.d.store.accounts.list().map(({ secretHash: _hash, ...a }: Account) => a) });
      if (m === 'POST') return this.createAccount(x, who);
    }
    if (p.startsWith('/api/accounts/') && m === 'DELETE') {
      const name = decodeURIComponent(p.slice('/api/accounts/'.length));
      const deleted = this.d.store.audited(
        () => this.d.store.accounts.delete(name),
        (done) => (done ? { actor: who.account, action: 'account.delete', keys: [name], changes: [], ip: x.clientIp } : undefined),
      );
      if (!deleted) return x.reply(404, problem(404, `no account ${name}`));
      return x.reply(200, { data: null });
    }
    if (p === '/api/api-keys') {
      if (m === 'GET') return x.reply(200, { data: this.d.store.apiKeys.list().map(({ secretHash: _hash, ...k }: ApiKeyRecord) => k) });
      if (m === 'POST') return this.createApiKey(x, who);
    }
    if (p.startsWith('/api/api-keys/') && m === 'DELETE') {
      const id = decodeURIComponent(p.slice('/api/api-keys/'.length));
      const revoked = this.d.store.audited(
        () => this.d.store.apiKeys.delete(id),
        (done) => (done ? { actor: who.account, action: 'api-key.revoke', keys: [id], changes: [], ip: x.clientIp } : undefined),
      );
      if (!revoked) return x.reply(404, problem(404, `no API key ${id}`));
      return x.reply(200, { data: null });
    }
    return x.reply(404, problem(404, `no API route ${m} ${p}`));
  }

  private list(q: URLSearchParams): { total: number; items: Record<string, string> } {
    const prefix = (q.get('prefix') ?? '').replace(/\.$/, '');
    const { limit, page } = paging(q);
    const keys = [...this.d.current().flat.keys()].filter((k) => !prefix || k === prefix || k.startsWith(`${prefix}.`)).sort();
    const items: Record<string, string> = {};
    for (const k of keys.slice((page - 1) * limit, page * limit)) items[prefix ? k.slice(prefix.length + 1) : k] = this.shown(k);
    return { total: keys.length, items };
  }

  private keys(q: URLSearchParams): Record<string, string> {
    const flat = this.d.current().flat;
    const out: Record<string, string> = {};
    for (const k of (q.get('keys') ?? '').split(',').filter(Boolean)) if (flat.has(k)) out[k] = this.shown(k);
    for (const p of (q.get('prefixes') ?? '').split(',').filter(Boolean)) {
      for (const k of flat.keys()) if (k.startsWith(`${p.replace(/\.$/, '')}.`)) out[k] = this.shown(k);
    }
    return out;
  }

  private shown(key: string): string {
    return SECRET_KEY.test(key) ? MASK : (this.d.current().flat.get(key) ?? '');
  }

  private effective(): { key: string; value: string; source: 'file' | 'store' | 'default' }[] {
    const stored = this.d.store.settings();
    const { flat, builtIn } = this.d.current();
    return [...flat.keys()].sort().map((key) => ({ key, value: this.shown(key), source: stored.has(key) ? 'store' : builtIn.has(key) ? 'default' : 'file' }));
  }

  /** Validates the config the change would produce, stores it only if valid, then reloads. */
  private async write(x: ApiExchange, who: Principal, changes: SettingChange[]): Promise<void> {
    try {
      const basis = this.d.store.settings();
      const result = this.d.validate(applyChanges(basis, changes));
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, key: d.key ?? null, message: d.message }));
      if (errors.length > 0) return x.reply(400, problem(400, 'the change would make the configuration invalid; nothing was stored', { errors }));
      this.d.store.applySettings(changes, who.account, { ip: x.clientIp, basis });
    } catch (err) {
      if (err instanceof StoreInvalidChangeError) return x.reply(400, problem(400, err.message));
      if (err instanceof StoreConflictError) return x.reply(409, problem(409, err.message));
      throw err;
    }
    const reloaded = await this.d.reload();
    if (!reloaded.ok) return x.reply(500, problem(500, 'stored, but the reload failed; see the server log'));
    x.reply(200, { data: null });
  }

  private async reload(x: ApiExchange, dryRun: boolean): Promise<void> {
    const outcome = dryRun ? this.d.validate(this.d.store.settings()) : await this.d.reload();
    const group = (severity: string) => Object.fromEntries(outcome.diagnostics.filter((d) => d.severity === severity).map((d) => [d.key ?? d.code, `${d.code}: ${d.message}`]));
    x.reply(200, { data: { warnings: group('warning'), errors: group('error') } });
  }

  private async createAccount(x: ApiExchange, who: Principal): Promise<void> {
    const body = (await readJson(x.body, BODY_LIMIT)) as { name?: unknown; password?: unknown; role?: unknown } | undefined;
    const role = body?.role ?? 'admin';
    if (typeof body?.name !== 'string' || !/^[A-Za-z0-9._@-]{1,64}$/.test(body.name) || typeof body.password !== 'string' || body.password.length < 12 || (role !== 'admin' && role !== 'user')) {
      return x.reply(400, problem(400, 'expected {"name": letters, digits, ._@- (1-64), "password": at least 12 characters, "role": "admin"|"user"}'));
    }
    const account = { name: body.name, secretHash: await hashPassword(body.password), role } as const;
    this.d.store.audited(
      () => this.d.store.accounts.put(account),
      () => ({ actor: who.account, action: 'account.put', keys: [account.name], changes: [], ip: x.clientIp }),
    );
    x.reply(200, { data: { name: body.name, role } });
  }

  private async createApiKey(x: ApiExchange, who: Principal): Promise<void> {
    const body = (await readJson(x.body, BODY_LIMIT)) as { name?: unknown } | undefined;
    const name = typeof body?.name === 'string' && body.name.length <= 100 ? body.name : 'api key';
    const key = generateApiKey();
    const record = this.d.store.audited(
      () => this.d.store.apiKeys.create({ id: key.id, name, account: who.account, secretHash: hashApiKeySecret(key.secret) }),
      () => ({ actor: who.account, action: 'api-key.create', keys: [key.id], changes: [], ip: x.clientIp }),
    );
    // The only time the key is shown: it is stored hashed.
    x.reply(200, { data: { id: record.id, name: record.name, key: key.token } });
  }
}

function paging(q: URLSearchParams): { limit: number; page: number } {
  const limit = Math.min(1000, Math.max(1, Number(q.get('limit')) || 100));
  const page = Math.max(1, Number(q.get('page')) || 1);
  return { limit, page };
}
