// CORS as a real browser enforces it: headless Chromium loads pages from two other origins
// and calls Parapet with fetch(). A preflighted POST (Authorization + JSON) and a simple GET,
// to an unknown path (404), to /robots.txt (POST → 405) and to the management API with a
// bogus token (401), in each CORS mode. "Allowed"
// means the page could read the status and body; "blocked" means fetch rejected.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { listener, recordingLogger, startServer, type TestServer } from './helpers/server.js';
import { CHROMIUM, CHROMIUM_FLAGS } from './helpers/chromium.js';
import { originServer, type OriginServer } from './helpers/origin-server.js';

const TEST_TIMEOUT = 60_000;

type Outcome = { readonly allowed: true; readonly status: number; readonly body: string } | { readonly allowed: false; readonly error: string };

/** A tiny page server: each one is its own origin (same host, its own port). */
async function pageServer(): Promise<OriginServer> {
  return originServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>cross-origin page</title><p>page</p>');
  });
}

type Mode = 'off' | 'permissive' | 'allowlist';
type Call = 'preflighted POST /nope' | 'preflighted POST /robots.txt' | 'simple GET /robots.txt' | 'simple GET /nope' | 'preflighted POST /api/settings';
const CALLS: Call[] = ['preflighted POST /nope', 'preflighted POST /robots.txt', 'simple GET /robots.txt', 'simple GET /nope', 'preflighted POST /api/settings'];
const READ: Record<Call, { status: number; body: RegExp }> = {
  // The preflight needs no credentials; the POST's bogus token gets a 401 the app can read.
  'preflighted POST /api/settings': { status: 401, body: /"status":401/ },
  'preflighted POST /nope': { status: 404, body: /"status":404/ },
  'preflighted POST /robots.txt': { status: 405, body: /"status":405/ },
  'simple GET /robots.txt': { status: 200, body: /^User-agent: \*/ },
  'simple GET /nope': { status: 404, body: /"status":404/ },
};

describe('CORS in headless Chromium', { timeout: 180_000 }, () => {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  const pages: { origin: string; close: () => Promise<void> }[] = [];
  const servers = {} as Record<Mode, TestServer>;
  const logs = {} as Record<Mode, Record<string, unknown>[]>;

  before(async () => {
    pages.push(await pageServer(), await pageServer());
    const [a] = pages;
    const configs: Record<Mode, string> = {
      off: '',
      permissive: '[http]\npermissive-cors = true\n',
      allowlist: `[http]\ncors.allowed-origins = ["${a!.origin}"]\n`,
    };
    for (const mode of Object.keys(configs) as Mode[]) {
      const { logger, lines } = recordingLogger();
      servers[mode] = await startServer(`${listener('web')}${configs[mode]}`, { logger });
      logs[mode] = lines;
    }
    if (!existsSync(CHROMIUM)) return; // reported by each test, which must fail, not skip
    profile = mkdtempSync(join(tmpdir(), 'parapet-chromium-'));
    // A fresh profile per run: no cached preflights or HSTS state from an earlier run.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      timeout: 30_000,
      headless: true,
      args: [
        ...CHROMIUM_FLAGS,
      ],
    });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await Promise.all([...Object.values(servers).map((s) => s.close()), ...pages.map((p) => p.close())]);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Opens a page on `pageOrigin` and makes one call to Parapet from it. */
  async function call(pageOrigin: string, target: string, c: Call): Promise<Outcome> {
    assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}; .ci/run installs it (apt-get install chromium)`);
    assert.ok(context, 'the browser did not start');
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      await page.goto(`${pageOrigin}/`);
      const [kind, method, path] = c.split(' ') as [string, string, string];
      return await page.evaluate(
        async ({ url, method, preflighted }): Promise<Outcome> => {
          const init: RequestInit = preflighted ? { method, headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' }, body: '{}' } : { method };
          try {
            const r = await fetch(url, init);
            return { allowed: true, status: r.status, body: await r.text() };
          } catch (e) {
            return { allowed: false, error: e instanceof Error ? e.name : String(e) };
          }
        },
        { url: `${target}${path}`, method, preflighted: kind === 'preflighted' },
      );
    } finally {
      await page.close();
    }
  }

  const requests = (mode: Mode, method: string) =>
    logs[mode]!.filter((l) => l.msg === 'request' && l.method === method).map((l) => ({ path: l.path as string, status: l.status as number }));

  // [mode, page (A is the allowlisted one), what the page can do]
  const cases: [Mode, 'A' | 'B', 'allowed' | 'blocked'][] = [
    ['off', 'A', 'blocked'],
    ['off', 'B', 'blocked'],
    ['permissive', 'A', 'allowed'],
    ['permissive', 'B', 'allowed'],
    ['allowlist', 'A', 'allowed'],
    ['allowlist', 'B', 'blocked'],
  ];
  for (const [mode, which, expected] of cases) {
    test(`${mode}: page ${which} → every call ${expected}`, { timeout: TEST_TIMEOUT }, async () => {
      const pageOrigin = pages[which === 'A' ? 0 : 1]!.origin;
      for (const c of CALLS) {
        const outcome = await call(pageOrigin, servers[mode].url('web'), c);
        if (expected === 'allowed') {
          assert.equal(outcome.allowed, true, `${c}: ${JSON.stringify(outcome)}`);
          if (outcome.allowed) {
            assert.equal(outcome.status, READ[c].status, c);
            assert.match(outcome.body, READ[c].body, c);
          }
        } else {
          assert.deepEqual(outcome, { allowed: false, error: 'TypeError' }, c);
        }
      }
    });
  }

  test('what Parapet saw: preflights answered or refused, and a refused preflight stops the POST', { timeout: TEST_TIMEOUT }, () => {
    // Runs after the matrix above (tests in a file run in order).
    assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}; .ci/run installs it`);
    // permissive: both pages preflighted and then posted (preflights may be cached per page origin, not skipped).
    assert.ok(requests('permissive', 'OPTIONS').some((r) => r.path === '/nope' && r.status === 204), JSON.stringify(requests('permissive', 'OPTIONS')));
    assert.deepEqual(
      requests('permissive', 'POST').map((r) => `${r.path} ${r.status}`).sort(),
      ['/api/settings 401', '/api/settings 401', '/nope 404', '/nope 404', '/robots.txt 405', '/robots.txt 405'],
    );
    // allowlist: A's preflights granted (204), B's refused (403); only A's POSTs were sent.
    const preflights = requests('allowlist', 'OPTIONS').map((r) => r.status);
    assert.ok(preflights.includes(204) && preflights.includes(403), JSON.stringify(preflights));
    assert.deepEqual(requests('allowlist', 'POST').map((r) => `${r.path} ${r.status}`).sort(), ['/api/settings 401', '/nope 404', '/robots.txt 405']);
    // off: the preflight is routed like any OPTIONS (401/404/405), so no POST ever reaches the server.
    assert.deepEqual(requests('off', 'OPTIONS').map((r) => r.status).sort(), [401, 401, 404, 404, 405, 405]);
    assert.deepEqual(requests('off', 'POST'), []);
  });
});
