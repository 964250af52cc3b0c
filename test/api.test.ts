import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetch, type Response } from 'undici';
import { agentTrusting, get } from './helpers/http.js';
import { createCa, issueLeaf, type TestCa } from './helpers/pki.js';
import { certificate, listener, recordingLogger, startServer, type TestServer } from './helpers/server.js';

const ADMIN = 'admin';
const SECRET = 'correct horse battery staple';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const ROUTES: [string, string][] = [
  ['GET', '/api/settings/list?prefix=http'],
  ['GET', '/api/settings/keys?keys=http.hsts'],
  ['POST', '/api/settings'],
  ['DELETE', '/api/settings/http.cors'],
  ['GET', '/api/reload'],
  ['GET', '/api/security-report'],
  ['GET', '/api/config/effective'],
  ['GET', '/api/audit'],
  ['POST', '/api/explain'],
  ['GET', '/api/accounts'],
  ['POST', '/api/accounts'],
  ['DELETE', '/api/accounts/someone'],
  ['GET', '/api/api-keys'],
  ['POST', '/api/api-keys'],
  ['DELETE', '/api/api-keys/abc'],
  ['GET', '/api/no-such-route'],
];

describe('management API', () => {
  let ca: TestCa;
  let s: TestServer;
  let logs: Record<string, unknown>[];
  let base: string;
  let tls: string;
  let dispatcher: ReturnType<typeof agentTrusting>;

  const call = (method: string, path: string, opts: { auth?: string; body?: unknown; origin?: string; url?: string } = {}): Promise<Response> =>
    fetch(`${opts.url ?? base}${path}`, {
      method,
      headers: {
        ...(opts.auth ? { authorization: opts.auth } : {}),
        ...(opts.origin ? { origin: opts.origin } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      redirect: 'manual',
      dispatcher,
    });

  before(async () => {
    ca = await createCa();
    const leaf = await issueLeaf(ca, ['mail.example.test']);
    dispatcher = agentTrusting(ca.certPem);
    const recorded = recordingLogger();
    logs = recorded.lines;
    s = await startServer(
      `${listener('web')}${listener('tls', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}
[authentication.fallback-admin]
user = "${ADMIN}"
secret = "${SECRET}"
[http]
permissive-cors = true
[server.auto-ban.auth]
rate = "5/1m"
`,
      { logger: recorded.logger },
    );
    base = s.url('web');
    tls = `https://mail.example.test:${s.port('tls')}`;
    const viewer = await call('POST', '/api/accounts', { auth: basic(ADMIN, SECRET), body: { name: 'viewer', password: 'not an administrator', role: 'user' } });
    assert.equal(viewer.status, 200, await viewer.text());
  });
  after(() => s.close());

  describe('every route refuses requests without valid credentials', () => {
    for (const [method, path] of ROUTES) {
      test(`${method} ${path}`, async () => {
        const none = await call(method, path, { origin: 'https://app.example' });
        assert.equal(none.status, 401);
        assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="Parapet"/);
        assert.equal(none.headers.get('content-type'), 'application/problem+json');
        assert.equal(none.headers.get('access-control-allow-origin'), '*', 'a browser app can read the 401');
        const wrongToken = await call(method, path, { auth: 'Bearer not-a-token' });
        assert.equal(wrongToken.status, 401);
        const nonAdmin = await call(method, path, { auth: basic('viewer', 'not an administrator'), ...(method === 'POST' ? { body: [] } : {}) });
        assert.equal(nonAdmin.status, 403, 'a valid account that is not an administrator');
        await none.text();
        await wrongToken.text();
        await nonAdmin.text();
      });
    }
  });

  test('a 401 over TLS carries HSTS once HSTS is on, and CORS', async () => {
    const on = await call('POST', '/api/settings', { auth: basic(ADMIN, SECRET), body: [{ type: 'insert', prefix: 'http', values: [['hsts', 'true']] }] });
    assert.equal(on.status, 200, await on.text());
    try {
      const r = await call('GET', '/api/settings/list', { url: tls, origin: 'https://app.example' });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      const big = await call('POST', '/api/settings', { url: tls, auth: basic(ADMIN, SECRET), body: [{ type: 'insert', values: [['x', 'y'.repeat(1_100_000)]] }], origin: 'https://app.example' });
      assert.equal(big.status, 413);
      assert.equal(big.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
      assert.equal(big.headers.get('access-control-allow-origin'), '*');
      const plain = await call('GET', '/api/settings/list', { auth: basic(ADMIN, SECRET) });
      assert.equal(plain.status, 301, 'plain HTTP now redirects to HTTPS, the API included');
    } finally {
      const off = await call('POST', '/api/settings', { url: tls, auth: basic(ADMIN, SECRET), body: [{ type: 'delete', keys: ['http.hsts'] }] });
      assert.equal(off.status, 200);
    }
  });

  test("Stalwart's settings routes: list, keys, write, delete", async () => {
    const auth = basic(ADMIN, SECRET);
    const write = await call('POST', '/api/settings', {
      auth,
      body: [{ type: 'insert', prefix: 'http.cors', values: [['max-age', '600']], assert_empty: false }, { type: 'insert', prefix: null, values: [['http.headers.0000', 'X-From-Api: yes']] }],
    });
    assert.deepEqual(await write.json(), { data: null });
    const list = (await (await call('GET', '/api/settings/list?prefix=http', { auth })).json()) as { data: { total: number; items: Record<string, string> } };
    assert.equal(list.data.items['permissive-cors'], 'true');
    assert.equal(list.data.items['cors.max-age'], '600');
    const keys = (await (await call('GET', '/api/settings/keys?keys=http.permissive-cors&prefixes=http.cors', { auth })).json()) as { data: Record<string, string> };
    assert.deepEqual(keys.data, { 'http.permissive-cors': 'true', 'http.cors.max-age': '600' });
    // Live: the next response carries the header written through the API.
    assert.equal((await get(`${base}/healthz/live`)).headers.get('x-from-api'), 'yes');
    const effective = (await (await call('GET', '/api/config/effective', { auth })).json()) as { data: { key: string; value: string; source: string }[] };
    assert.equal(effective.data.find((e) => e.key === 'http.cors.max-age')?.source, 'store');
    assert.equal(effective.data.find((e) => e.key === 'http.permissive-cors')?.source, 'file');
    assert.equal(effective.data.find((e) => e.key === 'authentication.fallback-admin.secret')?.value, '********');
    assert.equal((await call('DELETE', '/api/settings/http.headers', { auth })).status, 200);
    assert.equal((await get(`${base}/healthz/live`)).headers.get('x-from-api'), null);
  });

  test('an invalid write stores nothing and names every problem', async () => {
    const auth = basic(ADMIN, SECRET);
    const before = await (await call('GET', '/api/config/effective', { auth })).text();
    const r = await call('POST', '/api/settings', { auth, body: [{ type: 'insert', prefix: 'http', values: [['hsts', 'maybe'], ['cors.allowed-origins.0000', 'https://a.example']] }] });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { errors: { code: string; key: string }[] };
    assert.deepEqual(body.errors.map((e) => e.code).sort(), ['CFG_CORS_CONFLICT', 'CFG_INVALID_BOOL']);
    assert.equal(await (await call('GET', '/api/config/effective', { auth })).text(), before);
  });

  test('a malformed change list is 400, a clear of everything is 400, an assert_empty conflict is 409; nothing is stored', async () => {
    const auth = basic(ADMIN, SECRET);
    const before = await (await call('GET', '/api/config/effective', { auth })).text();
    const cases: [unknown, number, RegExp][] = [
      [[{ type: 'insert', values: [['.http.hsts', 'true']] }], 400, /not a setting key/],
      [[{ type: 'clear', prefix: '.' }], 400, /clearing every setting at once is refused/],
      [[{ type: 'insert', prefix: 'http', values: [['hsts', 'true']] }, { type: 'delete', keys: [''] }], 400, /not a setting key/],
      [[{ type: 'insert', values: [['http.url', 'https://a.example']] }, { type: 'insert', values: [['http.url', 'https://b.example']], assert_empty: true }], 409, /already exist/],
      [{ type: 'insert' }, 400, /a list of/],
    ];
    for (const [body, status, detail] of cases) {
      const r = await call('POST', '/api/settings', { auth, body });
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(((await r.json()) as { detail: string }).detail, detail, JSON.stringify(body));
    }
    assert.equal(await (await call('GET', '/api/config/effective', { auth })).text(), before);
  });

  test('blocked addresses written through the API apply at once', async () => {
    const auth = basic(ADMIN, SECRET);
    assert.equal((await call('POST', '/api/settings', { auth, body: [{ type: 'insert', prefix: 'server.blocked-ip', values: [['203.0.113.0/24', '']] }] })).status, 200);
    const report = (await (await call('GET', '/api/reload?dry-run=true', { auth })).json()) as { data: { errors: Record<string, string> } };
    assert.deepEqual(report.data.errors, {});
    const list = (await (await call('GET', '/api/settings/list?prefix=server.blocked-ip', { auth })).json()) as { data: { items: Record<string, string> } };
    assert.ok('203.0.113.0/24' in list.data.items);
    assert.equal((await call('DELETE', '/api/settings/server.blocked-ip', { auth })).status, 200);
  });

  test('login tokens and API keys; revoked keys stop working at once; the audit log records changes', async () => {
    const login = await call('POST', '/api/auth/login', { body: { username: ADMIN, password: SECRET } });
    const { data } = (await login.json()) as { data: { token: string; expiresAt: string } };
    assert.ok(Date.parse(data.expiresAt) > Date.now());
    const bearer = `Bearer ${data.token}`;
    assert.equal((await call('GET', '/api/security-report', { auth: bearer })).status, 200);
    const created = (await (await call('POST', '/api/api-keys', { auth: bearer, body: { name: 'ci' } })).json()) as { data: { id: string; key: string } };
    const keyAuth = `Bearer ${created.data.key}`;
    assert.equal((await call('GET', '/api/accounts', { auth: keyAuth })).status, 200);
    const listed = await (await call('GET', '/api/api-keys', { auth: keyAuth })).text();
    assert.ok(!listed.includes(created.data.key.split('_').at(-1)!), 'the key secret is never shown again');
    assert.equal((await call('DELETE', `/api/api-keys/${created.data.id}`, { auth: bearer })).status, 200);
    assert.equal((await call('GET', '/api/accounts', { auth: keyAuth })).status, 401);
    const audit = (await (await call('GET', '/api/audit?limit=50', { auth: bearer })).json()) as { data: { items: { action: string; actor: string }[] } };
    assert.ok(audit.data.items.some((e) => e.action === 'api-key.revoke' && e.actor === ADMIN));
  });

  test('the security report flags the plain-text admin secret and permissive CORS', async () => {
    const r = (await (await call('GET', '/api/security-report', { auth: basic(ADMIN, SECRET) })).json()) as { data: { findings: { code: string; severity: string }[] } };
    const codes = r.data.findings.map((f) => f.code);
    assert.ok(codes.includes('ADMIN_SECRET_PLAINTEXT'));
    assert.ok(codes.includes('CORS_PERMISSIVE'));
    assert.ok(codes.includes('CERT_EXPIRY'));
  });

  test('no secret appears in any log line', () => {
    const text = JSON.stringify(logs);
    assert.ok(!text.includes(SECRET));
    assert.ok(!text.includes('BEGIN PRIVATE KEY') && !text.includes('BEGIN EC PRIVATE KEY'));
  });

  // Last: it bans 127.0.0.1's non-loopback stand-in and must not disturb the tests above.
  test('repeated failures from one address are banned (403); loopback never is', async () => {
    for (let i = 0; i < 8; i++) assert.equal((await call('GET', '/api/accounts', { auth: basic(ADMIN, 'wrong') })).status, 401, 'loopback is never banned');
    assert.equal((await call('GET', '/api/accounts', { auth: basic(ADMIN, SECRET) })).status, 200);
  });
});

describe('management API: bans and token lifetime', () => {
  test('a brute-force run from one address is banned; other addresses are not; tokens expire', async () => {
    const s = await startServer(`${listener('web')}
[authentication.fallback-admin]
user = "${ADMIN}"
secret = "${SECRET}"
[authentication.token]
lifetime = "1s"
[http]
use-x-forwarded = true
trusted-proxies = ["127.0.0.1"]
[server.auto-ban.auth]
rate = "5/1m"
`);
    try {
      const call = (ip: string, auth: string) => fetch(`${s.url('web')}/api/accounts`, { headers: { authorization: auth, 'x-forwarded-for': ip } });
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call('203.0.113.50', basic(ADMIN, `guess-${i}`))).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 403, 403], "the failure past 5/1m bans");
      assert.equal((await call('203.0.113.50', basic(ADMIN, SECRET))).status, 403, 'banned even with the right password');
      assert.equal((await call('203.0.113.51', basic(ADMIN, SECRET))).status, 200);
      const login = await fetch(`${s.url('web')}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: ADMIN, password: SECRET }), headers: { 'x-forwarded-for': '203.0.113.52' } });
      const token = ((await login.json()) as { data: { token: string } }).data.token;
      assert.equal((await call('203.0.113.52', `Bearer ${token}`)).status, 200);
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await call('203.0.113.52', `Bearer ${token}`)).status, 401, 'expired');
    } finally {
      await s.close();
    }
  });

  test('a reload applies a new server.auto-ban.auth.rate, and bans in force stay', async () => {
    const config = (rate: string) => `${listener('web')}
[authentication.fallback-admin]
user = "${ADMIN}"
secret = "${SECRET}"
[http]
use-x-forwarded = true
trusted-proxies = ["127.0.0.1"]
[server.auto-ban.auth]
rate = "${rate}"
`;
    const s = await startServer(config('2/1m'));
    try {
      const call = (ip: string, auth: string) => fetch(`${s.url('web')}/api/accounts`, { headers: { authorization: auth, 'x-forwarded-for': ip } });
      const guesses = async (ip: string, n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await call(ip, basic(ADMIN, `guess-${i}`))).status);
        return statuses;
      };
      assert.deepEqual(await guesses('203.0.113.60', 3), [401, 401, 403], 'the failure past 2/1m bans');
      s.rewrite(config('4/1m'));
      assert.equal((await s.server.reload()).ok, true);
      assert.equal((await call('203.0.113.60', basic(ADMIN, SECRET))).status, 403, 'a ban in force survives the reload');
      assert.deepEqual(await guesses('203.0.113.61', 5), [401, 401, 401, 401, 403], 'the failure past the reloaded 4/1m bans');
    } finally {
      await s.close();
    }
  });
});

describe('management API: accounts', () => {
  test('the first start creates an admin with a generated password, once; a non-admin account is refused', async () => {
    const { ParapetServer } = await import('../src/server/server.js');
    const { silentLogger } = await import('./helpers/server.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'parapet-first-'));
    const configPath = join(dir, 'config.toml');
    writeFileSync(configPath, `${listener('web')}\n[server]\ndata-dir = ${JSON.stringify(join(dir, 'data'))}\n`);
    const created: [string, string][] = [];
    const start = () => ParapetServer.start({ configPath, logger: silentLogger(), onAdminCreated: (u, p) => void created.push([u, p]) });
    let server = await start();
    try {
      assert.equal(created.length, 1);
      const [user, password] = created[0]!;
      assert.equal(user, 'admin');
      assert.ok(password.length >= 20);
      const url = `http://127.0.0.1:${server.port('web')}`;
      const admin = basic(user, password);
      assert.equal((await fetch(`${url}/api/accounts`, { headers: { authorization: admin } })).status, 200);
      const put = await fetch(`${url}/api/accounts`, { method: 'POST', headers: { authorization: admin }, body: JSON.stringify({ name: 'viewer', password: 'a long enough password', role: 'user' }) });
      assert.equal(put.status, 200, await put.text());
      const viewer = await fetch(`${url}/api/settings/list`, { headers: { authorization: basic('viewer', 'a long enough password') } });
      assert.equal(viewer.status, 403);
      const write = await fetch(`${url}/api/settings`, { method: 'POST', headers: { authorization: admin }, body: JSON.stringify([{ type: 'insert', prefix: 'http', values: [['headers.0000', 'X-Persisted: yes']] }]) });
      assert.equal(write.status, 200, await write.text());
      await server.shutdown(1000);
      server = await start();
      assert.equal(created.length, 1, 'a second start creates nothing');
      const after = await fetch(`http://127.0.0.1:${server.port('web')}/healthz/live`);
      assert.equal(after.headers.get('x-persisted'), 'yes', 'a setting written through the API applies after a restart');
      assert.equal((await fetch(`http://127.0.0.1:${server.port('web')}/api/accounts`, { headers: { authorization: admin } })).status, 200, 'the account survived the restart');
    } finally {
      await server.shutdown(1000);
    }
  });
});
