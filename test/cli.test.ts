import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fetch } from 'undici';

const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const STALWART = new URL('../../test/fixtures/stalwart-config.toml', import.meta.url).pathname;

function tempConfig(text: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-cli-'));
  const path = join(dir, 'config.toml');
  writeFileSync(path, `${text}\n[server]\ndata-dir = ${JSON.stringify(join(dir, 'data'))}\n`);
  return { dir, path };
}

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ADMIN_SECRET: 'x' } });

describe('parapet check', () => {
  test('a valid file: exit 0', () => {
    const { path } = tempConfig('[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[http]\nhsts = false');
    const r = run('check', '--config', path);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /valid/);
  });

  test('the config file Stalwart ships: exit 0, non-HTTP sections named once', () => {
    const r = run('check', '--config', STALWART);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.match(/CFG_IGNORED_SECTIONS/g)?.length, 1);
  });

  test('an invalid file: exit 1 and every error with its code and key', () => {
    const { path } = tempConfig('[server.listener.web]\nprotocol = "jmap"\nbind = "127.0.0.1:0"\n[http]\nhsts = "on"\nheaders = ["X Bad: 1"]');
    const r = run('check', '--config', path);
    assert.equal(r.status, 1);
    for (const expected of ['CFG_LISTENER_PROTOCOL [server.listener.web.protocol]', 'CFG_INVALID_BOOL [http.hsts]', 'CFG_HEADER_NAME [http.headers]']) {
      assert.ok(r.stderr.includes(expected), `${expected} missing from:\n${r.stderr}`);
    }
  });

  test('a missing file: exit 1 with CFG_FILE_UNREADABLE', () => {
    const r = run('check', '--config', '/nonexistent/parapet.toml');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CFG_FILE_UNREADABLE/);
  });

  test('usage errors: exit 2', () => {
    assert.equal(run('check').status, 2);
    assert.equal(run('frobnicate').status, 2);
  });
});

describe('parapet serve', () => {
  test('starts, prints its URLs, reloads on SIGHUP (log level included), stops on SIGTERM with exit 0', async () => {
    const { dir, path } = tempConfig('[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[http]\nheaders = ["X-Generation: 1"]');
    const child = spawn(process.execPath, [CLI, 'serve', '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line in:\n${out}`)), 10_000);
        const poll = setInterval(() => {
          const m = /"msg":"listening on (http:\/\/[^ "]+)"/.exec(out);
          if (m) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(m[1]!.replace('localhost', '127.0.0.1'));
          }
        }, 50);
      });
      const first = await fetch(`${url}healthz/live`);
      assert.equal(first.headers.get('x-generation'), '1');
      const port = new URL(url).port;
      const reloadTo = async (generation: string, logLevel: string) => {
        writeFileSync(
          path,
          `[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:${port}"\n[http]\nheaders = ["X-Generation: ${generation}"]\n` +
            `[server]\nlog-level = "${logLevel}"\ndata-dir = ${JSON.stringify(join(dir, 'data'))}\n`,
        );
        child.kill('SIGHUP');
        let seen: string | null = null;
        for (let i = 0; i < 50 && seen !== generation; i++) {
          await new Promise((r) => setTimeout(r, 100));
          seen = (await fetch(`${url}healthz/live`)).headers.get('x-generation');
        }
        assert.equal(seen, generation);
      };
      // Request lines follow the reloaded level, both ways.
      await reloadTo('2', 'warn');
      assert.equal((await fetch(`${url}robots.txt?at=warn`)).status, 200);
      await reloadTo('3', 'info');
      assert.equal((await fetch(`${url}robots.txt?at=info`)).status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(out, /"msg":"stopped"/);
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(lines.some((l) => l.msg === 'request' && l.path === '/healthz/live' && l.status === 200 && l.listener === 'web'));
      // Lines log the path without its query: one line, the one sent at info.
      assert.equal(lines.filter((l) => l.msg === 'request' && l.path === '/robots.txt').length, 1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('an invalid config: not started, exit 1, errors printed', () => {
    const { path } = tempConfig('[server.listener.web]\nprotocol = "http"\nbind = "nowhere"');
    const r = spawnSync(process.execPath, [CLI, 'serve', '--config', path], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /CFG_LISTENER_BIND/);
  });
});

describe('parapet config show', () => {
  test('each effective key with its source; settings stored through the API win; secrets masked', async () => {
    const { ParapetServer } = await import('../src/server/server.js');
    const { silentLogger } = await import('./helpers/server.js');
    const { path } = tempConfig('[server.listener.web]\nprotocol = "http"\nbind = "127.0.0.1:0"\n[http]\nhsts = false\n[authentication.fallback-admin]\nuser = "admin"\nsecret = "s3cret-value"');
    const server = await ParapetServer.start({ configPath: path, logger: silentLogger() });
    try {
      const port = server.port('web');
      const auth = `Basic ${Buffer.from('admin:s3cret-value').toString('base64')}`;
      const r = await fetch(`http://127.0.0.1:${port}/api/settings`, { method: 'POST', headers: { authorization: auth }, body: JSON.stringify([{ type: 'insert', prefix: 'http', values: [['hsts', 'true'], ['hsts-redirect', 'false']] }]) });
      assert.equal(r.status, 200, await r.text());
    } finally {
      await server.shutdown(1000);
    }
    const shown = run('config', 'show', '--config', path, '--json');
    assert.equal(shown.status, 0, shown.stderr);
    const rows = JSON.parse(shown.stdout) as { key: string; value: string; source: string }[];
    const row = (key: string) => rows.find((x) => x.key === key);
    assert.deepEqual(row('http.hsts'), { key: 'http.hsts', value: 'true', source: 'store' });
    assert.deepEqual(row('server.listener.web.bind'), { key: 'server.listener.web.bind', value: '127.0.0.1:0', source: 'file' });
    assert.deepEqual(row('http.permissive-cors'), { key: 'http.permissive-cors', value: 'false', source: 'default' });
    assert.equal(row('authentication.fallback-admin.secret')?.value, '********');
    assert.ok(!shown.stdout.includes('s3cret-value'));
    const text = run('config', 'show', '--config', path);
    assert.match(text.stdout, /^http\.hsts = "true" {2}# store$/m);
  });

  test("Parapet's built-in listeners are shown as default, not as the file's", () => {
    const { path } = tempConfig('[http]\nhsts = false');
    const withoutListeners = run('config', 'show', '--config', path, '--json');
    assert.equal(withoutListeners.status, 0, withoutListeners.stderr);
    const rows = JSON.parse(withoutListeners.stdout) as { key: string; value: string; source: string }[];
    const listenerRows = rows.filter((r) => r.key.startsWith('server.listener.'));
    assert.ok(listenerRows.length > 0);
    assert.deepEqual([...new Set(listenerRows.map((r) => r.source))], ['default']);
    assert.equal(rows.find((r) => r.key === 'http.hsts')?.source, 'file');

    const dir = mkdtempSync(join(tmpdir(), 'parapet-cli-'));
    const embedded = spawnSync(process.execPath, [CLI, 'config', 'show', '--json'], { encoding: 'utf8', cwd: dir });
    assert.equal(embedded.status, 0, embedded.stderr);
    const embeddedRows = JSON.parse(embedded.stdout) as { key: string; source: string }[];
    assert.ok(embeddedRows.some((r) => r.key.startsWith('server.listener.')));
    assert.deepEqual([...new Set(embeddedRows.map((r) => r.source))], ['default'], 'with no file, everything is the embedded default');
  });
});
