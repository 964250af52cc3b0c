// The webadmin: served from memory at /admin/ with a strict CSP, and the seed's scenario in
// headless Chromium — the app hosted on ANOTHER origin, pointed at Parapet, signs in and
// switches HSTS on; it works when Parapet allows that origin (permissive or allowlist) and
// says why when it does not (CORS off).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { fetch } from 'undici';
import { ADMIN_CSP, loadWebAdmin, WEBADMIN_DIR } from '../src/admin/web/assets.js';
import { CHROMIUM, CHROMIUM_FLAGS } from './helpers/chromium.js';
import { originServer, type OriginServer } from './helpers/origin-server.js';
import { agentTrusting, get } from './helpers/http.js';
import { createCa, issueLeaf, type TestCa } from './helpers/pki.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';

const ADMIN = 'admin';
const SECRET = 'correct horse battery staple';
const HOST = 'mail.example.test';
const basic = `Basic ${Buffer.from(`${ADMIN}:${SECRET}`).toString('base64')}`;

const builtIndex = () => readFileSync(join(WEBADMIN_DIR, 'index.html'), 'utf8');
const builtScript = () => /src="\.\/(assets\/[^"]+\.js)"/.exec(builtIndex())?.[1];
const builtStyle = () => /href="\.\/(assets\/[^"]+\.css)"/.exec(builtIndex())?.[1];

describe('webadmin served at /admin/', () => {
  let s: TestServer;
  let base: string;
  before(async () => {
    assert.ok(existsSync(join(WEBADMIN_DIR, 'index.html')), 'dist/webadmin/ is missing: `npm run build` builds it');
    s = await startServer(`${listener('web')}\n[authentication.fallback-admin]\nuser = "${ADMIN}"\nsecret = "${SECRET}"\n`);
    base = s.url('web');
  });
  after(() => s.close());

  test('/ redirects (302) to /admin/', async () => {
    const r = await get(`${base}/`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/admin/');
  });

  test('/admin/ is the app, with a strict CSP, nosniff and no referrer', async () => {
    const r = await get(`${base}/admin/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('content-security-policy'), ADMIN_CSP);
    assert.match(ADMIN_CSP, /connect-src \*/);
    assert.match(ADMIN_CSP, /script-src 'self'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    const body = await r.text();
    assert.equal(body, builtIndex());
    assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(body));
  });

  test('assets carry their content type, length and ETag; a matching If-None-Match gets 304', async () => {
    const script = builtScript();
    const style = builtStyle();
    assert.ok(script && style, 'the built index.html names its script and stylesheet');
    const js = await get(`${base}/admin/${script}`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('content-security-policy'), ADMIN_CSP);
    const bytes = Buffer.from(await js.arrayBuffer());
    assert.deepEqual(bytes, readFileSync(join(WEBADMIN_DIR, script)));
    assert.equal(Number(js.headers.get('content-length')), bytes.length);
    const css = await get(`${base}/admin/${style}`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    await css.arrayBuffer();
    const etag = js.headers.get('etag');
    assert.ok(etag);
    const again = await get(`${base}/admin/${script}`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const head = await get(`${base}/admin/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), Buffer.byteLength(builtIndex()));
  });

  test('unknown /admin/ paths get index.html (the app routes itself); POST gets 405', async () => {
    const r = await get(`${base}/admin/some/screen`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), builtIndex());
    const post = await get(`${base}/admin/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    await post.text();
  });

  test('without a build, /admin/ answers 503 saying so', async () => {
    assert.equal(loadWebAdmin(join(tmpdir(), 'parapet-no-such-webadmin')), undefined);
    // The running server's state, as decide reads it: what a start without dist/webadmin/ gives.
    const state = (s.server as unknown as { state: { webadmin: unknown } }).state;
    const saved = state.webadmin;
    state.webadmin = undefined;
    try {
      const r = await get(`${base}/admin/`);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.match(await r.text(), /webadmin was not built/);
    } finally {
      state.webadmin = saved;
    }
  });
});

/** dist/webadmin/ on its own origin, as someone hosting the app elsewhere would. */
async function staticServer(): Promise<OriginServer> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
  return originServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(WEBADMIN_DIR, path === '/' ? 'index.html' : path));
    if (!file.startsWith(WEBADMIN_DIR) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
}

type Mode = 'permissive' | 'allowlist' | 'off';

describe('the seed scenario: the webadmin on another origin, in headless Chromium', { timeout: 240_000 }, () => {
  let ca: TestCa;
  let dispatcher: ReturnType<typeof agentTrusting>;
  let site: Awaited<ReturnType<typeof staticServer>>;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  const servers = {} as Record<Mode, TestServer>;

  before(async () => {
    ca = await createCa();
    const leaf = await issueLeaf(ca, [HOST]);
    dispatcher = agentTrusting(ca.certPem);
    site = await staticServer();
    const cors: Record<Mode, string> = {
      permissive: 'permissive-cors = true\n',
      allowlist: `cors.allowed-origins = ["${site.origin}"]\n`,
      off: '',
    };
    for (const mode of Object.keys(cors) as Mode[]) {
      servers[mode] = await startServer(
        `${listener('web')}${listener('tls', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}
[authentication.fallback-admin]
user = "${ADMIN}"
secret = "${SECRET}"
[http]
${cors[mode]}`,
      );
    }
    if (!existsSync(CHROMIUM)) return; // each test then fails, saying so
    profile = mkdtempSync(join(tmpdir(), 'parapet-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, timeout: 30_000, headless: true, args: [...CHROMIUM_FLAGS] });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await Promise.all([...Object.values(servers).map((s) => s.close()), site?.close()]);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function openApp(): Promise<Page> {
    assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}; .ci/run installs it (apt-get install chromium)`);
    assert.ok(context, 'the browser did not start');
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${site.origin}/`);
    return page;
  }

  async function signIn(page: Page, server: string): Promise<void> {
    // The server field starts as the page's own origin: the app assumes it is served by Parapet.
    assert.equal(await page.getByLabel('Server URL').inputValue(), site.origin);
    await page.getByLabel('Server URL').fill(server);
    await page.getByLabel('User').fill(ADMIN);
    await page.getByLabel('Password').fill(SECRET);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const sts = async (s: TestServer): Promise<string | null> => {
    const r = await get(`https://${HOST}:${s.port('tls')}/healthz/live`, { dispatcher });
    await r.text();
    return r.headers.get('strict-transport-security');
  };

  // First, while the servers still answer plain HTTP without redirecting to HTTPS.
  test("an invalid CORS origin: the API's validation message appears at the origins field", async () => {
    const s = servers.permissive;
    // The message the API gives for this value, asked directly.
    const direct = await fetch(`${s.url('web')}/api/settings`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify([{ type: 'insert', prefix: 'http', values: [['permissive-cors', 'false'], ['cors.allowed-origins.0000', 'example.com']], assert_empty: false }]),
    });
    assert.equal(direct.status, 400);
    const problem = (await direct.json()) as { errors: { code: string; key: string; message: string }[] };
    const expected = problem.errors.find((e) => e.key === 'http.cors.allowed-origins');
    assert.ok(expected, JSON.stringify(problem));

    const page = await openApp();
    try {
      await signIn(page, s.url('web'));
      await page.getByRole('heading', { name: 'Security report' }).waitFor();
      await page.getByRole('button', { name: 'CORS', exact: true }).click();
      await page.getByLabel('Allowlist (http.cors.allowed-origins)').check();
      const origins = page.getByLabel('Allowed origins, one per line');
      await origins.fill('example.com');
      await page.getByRole('button', { name: 'Save CORS settings' }).click();
      const fieldError = page.locator('#cors-origins-error');
      await fieldError.waitFor();
      assert.equal((await fieldError.textContent())?.trim(), expected.message);
      assert.equal(await origins.getAttribute('aria-invalid'), 'true');
      assert.equal(await origins.getAttribute('aria-describedby'), 'cors-origins-error');
    } finally {
      await page.close();
    }
    // Nothing was stored: the server is still permissive.
    const keys = await fetch(`${s.url('web')}/api/settings/keys?keys=http.permissive-cors`, { headers: { authorization: basic } });
    assert.deepEqual(await keys.json(), { data: { 'http.permissive-cors': 'true' } });
  });
  for (const mode of ['permissive', 'allowlist'] as const) {
    test(`${mode}: sign in from the other origin and switch HSTS on`, async () => {
      const s = servers[mode];
      assert.equal(await sts(s), null, 'HSTS is off before the form is saved');
      const page = await openApp();
      try {
        await signIn(page, s.url('web'));
        await page.getByRole('heading', { name: 'Security report' }).waitFor();
        await page.locator('.severity li').first().waitFor();
        if (mode === 'permissive') await page.screenshot({ path: join(tmpdir(), 'parapet-webadmin-dashboard.png'), fullPage: true });
        await page.getByRole('button', { name: 'HSTS', exact: true }).click();
        const enabled = page.getByLabel('Send Strict-Transport-Security (http.hsts)');
        await enabled.waitFor();
        assert.equal(await enabled.isChecked(), false);
        await enabled.check();
        await page.getByRole('button', { name: 'Save HSTS settings' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved and applied.' }).waitFor();
        if (mode === 'permissive') await page.screenshot({ path: join(tmpdir(), 'parapet-webadmin-hsts.png'), fullPage: true });
      } finally {
        await page.close();
      }
      assert.match((await sts(s)) ?? '', /^max-age=31536000; includeSubDomains$/i);
      // What the form sent is Stalwart's key, stored and visible through the API.
      // (Over TLS: plain HTTP is now redirected to HTTPS.)
      const keys = await fetch(`https://${HOST}:${s.port('tls')}/api/settings/keys?keys=http.hsts`, { headers: { authorization: basic }, dispatcher });
      assert.deepEqual(await keys.json(), { data: { 'http.hsts': 'true' } });
    });
  }

  test('CORS off: the page says the server does not allow its origin, rather than failing blank', async () => {
    const s = servers.off;
    const page = await openApp();
    try {
      await signIn(page, s.url('web'));
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.equal(
        await alert.textContent(),
        `The server at ${s.url('web')} does not allow this origin (${site.origin}): enable http.permissive-cors or add it to http.cors.allowed-origins.`,
      );
    } finally {
      await page.close();
    }
    assert.equal(await sts(s), null);
  });

});
