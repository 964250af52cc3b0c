import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { get } from './helpers/http.js';
import { listener, recordingLogger, startServer, type TestServer } from './helpers/server.js';

// Requests come from 127.0.0.1, a trusted proxy here, so X-Forwarded-For chooses the client
// address each rule sees: the same mechanism a real deployment behind a proxy uses.
const FORWARDED = '\n[http]\nuse-x-forwarded = true\ntrusted-proxies = ["127.0.0.1"]\n';
const TWO_LISTENERS = `${listener('private-http')}${listener('public-http')}`;

/** The status, marked `rule` when `http.allowed-endpoint` answered (its 404 and routing's look alike). */
async function answer(s: TestServer, listenerId: string, path: string, opts: { ip?: string; method?: string } = {}): Promise<string> {
  const headers: Record<string, string> = opts.ip ? { 'X-Forwarded-For': opts.ip } : {};
  const r = await get(`${s.url(listenerId)}${path}`, { method: opts.method ?? 'GET', headers });
  const body = await r.text();
  return body.includes('refused by http.allowed-endpoint') ? `${r.status} rule` : String(r.status);
}

async function status(s: TestServer, listenerId: string, path: string, opts: { ip?: string; method?: string } = {}): Promise<number> {
  return Number.parseInt(await answer(s, listenerId, path, opts), 10);
}

describe("Stalwart's documented access-control examples, over real sockets", () => {
  const cases: { name: string; rules: string; expect: [string, string, { ip?: string; method?: string }, string][] }[] = [
    {
      name: 'only 127.0.0.1 may reach /api',
      rules: `allowed-endpoint = [ { if = "starts_with( url_path, '/api' ) && remote_ip != '127.0.0.1'",
                       then = "404" },
                     { else = "200" } ]`,
      expect: [
        ['public-http', '/api/settings', { ip: '203.0.113.5' }, '404 rule'],
        ['public-http', '/api/settings', { ip: '127.0.0.1' }, '401' /* the rule lets it through to the API, which wants credentials */],
        ['public-http', '/robots.txt', { ip: '203.0.113.5' }, '200'],
      ],
    },
    {
      name: '/robots.txt and /.well-known/* public, everything else only from 192.168.1.*',
      rules: `allowed-endpoint = [ { if = "starts_with( remote_ip, '192.168.1.' ) || contains( [ 'robots.txt', '.well-known' ], split( url_path, '/' )[1] )",
                       then = "200" },
                     { else = "400" } ]`,
      expect: [
        ['public-http', '/robots.txt', { ip: '203.0.113.5' }, '200'],
        ['public-http', '/.well-known/jmap', { ip: '203.0.113.5' }, '404'],
        ['public-http', '/healthz/live', { ip: '203.0.113.5' }, '400 rule'],
        ['public-http', '/healthz/live', { ip: '192.168.1.20' }, '200'],
      ],
    },
    {
      name: 'private-http unrestricted; public-http only /jmap, /robots.txt, /.well-known/*',
      rules: `allowed-endpoint = [ { if = "listener == 'private-http' || contains( [ 'jmap', 'robots.txt', '.well-known' ], split( url_path, '/' )[1] )",
                       then = "200" },
                     { else = "404" } ]`,
      expect: [
        ['private-http', '/healthz/live', {}, '200'],
        ['public-http', '/healthz/live', {}, '404 rule'],
        ['public-http', '/robots.txt', {}, '200'],
        ['private-http', '/robots.txt', {}, '200'],
      ],
    },
    {
      name: 'JMAP reachable only with OPTIONS',
      rules: `allowed-endpoint = [ { if = "!starts_with( url, '/jmap' ) || method == 'OPTIONS'",
                       then = "200"},
                     { else = "400" } ]`,
      expect: [
        ['public-http', '/jmap/session', { method: 'GET' }, '400 rule'],
        ['public-http', '/jmap/session', { method: 'POST' }, '400 rule'],
        ['public-http', '/jmap/session', { method: 'OPTIONS' }, '404'],
        ['public-http', '/robots.txt', { method: 'GET' }, '200'],
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const s = await startServer(`${TWO_LISTENERS}${FORWARDED}${c.rules}\n`);
      try {
        for (const [id, path, opts, expected] of c.expect) {
          assert.equal(await answer(s, id, path, opts), expected, `${opts.method ?? 'GET'} ${path} on ${id} from ${opts.ip ?? '127.0.0.1'}`);
        }
      } finally {
        await s.close();
      }
    });
  }

  test('loopback is never locked out of /api', async () => {
    const s = await startServer(`${listener('web')}${FORWARDED}allowed-endpoint = "403"\n`);
    try {
      assert.equal(await answer(s, 'web', '/api/settings'), '401', 'loopback passes the rule (the API then asks for credentials)');
      assert.equal(await answer(s, 'web', '/api/settings', { ip: '203.0.113.5' }), '403 rule');
      assert.equal(await answer(s, 'web', '/robots.txt'), '403 rule', 'only /api is protected from lock-out');
    } finally {
      await s.close();
    }
  });

  test('a rule that fails at run time denies with 500, CORS headers on, and logs', async () => {
    const { logger, lines } = recordingLogger();
    // Indexing past the end of a list is not a status code.
    const s = await startServer(`${listener('web')}\n[http]\npermissive-cors = true\nallowed-endpoint = "split(url_path, '/')"\n`, { logger });
    try {
      const r = await get(`${s.url('web')}/robots.txt`, { headers: { Origin: 'https://app.example' } });
      assert.equal(r.status, 500);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.ok(lines.some((l) => l.level === 50 && String(l.msg).includes('allowed-endpoint')));
    } finally {
      await s.close();
    }
  });
});

describe('IP block and allow lists', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      `${listener('web')}${FORWARDED}permissive-cors = true\n[http.rate-limit]\nanonymous = "2/1m"\n[server.blocked-ip]\n"198.51.100.0/24" = ""\n"2001:db8::1" = ""\n[server.allowed-ip]\n"198.51.100.9" = ""\n`,
    );
  });
  after(() => s.close());

  test('a blocked address gets 403 with CORS headers; a range and IPv6 too', async () => {
    for (const ip of ['198.51.100.1', '2001:db8::1']) {
      const r = await get(`${s.url('web')}/healthz/live`, { headers: { 'X-Forwarded-For': ip, Origin: 'https://app.example' } });
      assert.equal(r.status, 403, ip);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
    }
  });

  test('an allowed address inside a blocked range passes, and is never rate-limited', async () => {
    for (let i = 0; i < 6; i++) assert.equal(await status(s, 'web', '/robots.txt', { ip: '198.51.100.9' }), 200);
  });
});

describe('rate limits', () => {
  test('past http.rate-limit.anonymous: 429 with Retry-After and RateLimit headers; recovers after the window', async () => {
    const s = await startServer(`${listener('web')}${FORWARDED}permissive-cors = true\n[http.rate-limit]\nanonymous = "3/2s"\n`);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await status(s, 'web', '/robots.txt', { ip: '203.0.113.1' }));
      assert.deepEqual(statuses, [200, 200, 200]);
      const limited = await get(`${s.url('web')}/robots.txt`, { headers: { 'X-Forwarded-For': '203.0.113.1', Origin: 'https://app.example' } });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(limited.headers.get('ratelimit-policy'), '"anonymous";q=3;w=2');
      assert.match(limited.headers.get('ratelimit') ?? '', /^"anonymous";r=0;t=\d+$/);
      assert.equal(limited.headers.get('access-control-allow-origin'), '*', 'a browser app can read the 429');
      assert.equal(await status(s, 'web', '/robots.txt', { ip: '203.0.113.2' }), 200, 'another client has its own limit');
      assert.equal(await status(s, 'web', '/healthz/live', { ip: '203.0.113.1' }), 200, 'health probes are never limited');
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal(await status(s, 'web', '/robots.txt', { ip: '203.0.113.1' }), 200, 'recovered after the window');
    } finally {
      await s.close();
    }
  });

  test('a forged X-Forwarded-For from an untrusted peer changes neither the limit nor the rule', async () => {
    const s = await startServer(
      `${listener('web')}\n[http]\nuse-x-forwarded = true\ntrusted-proxies = ["10.0.0.0/8"]\nallowed-endpoint = [ { if = "remote_ip == '192.168.1.7'", then = "200" }, { else = "403" } ]\n[http.rate-limit]\nanonymous = "2/1m"\n`,
    );
    try {
      // 127.0.0.1 is not a trusted proxy: claiming to be 192.168.1.7 does not pass the rule...
      assert.equal(await status(s, 'web', '/robots.txt', { ip: '192.168.1.7' }), 403);
      // ...and rotating forged addresses does not escape the peer's own limit.
      assert.equal(await status(s, 'web', '/robots.txt', { ip: '192.168.1.8' }), 403);
      assert.equal(await status(s, 'web', '/robots.txt', { ip: '192.168.1.9' }), 429);
    } finally {
      await s.close();
    }
  });
});
