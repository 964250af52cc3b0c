import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readlink, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { StaticTarget } from '../src/config/routes.js';
import { serveStatic } from '../src/routes/static/index.js';

const run = promisify(execFile);

// The fixture: <tmp>/secret.txt sits beside the root, where every traversal would land.
const SECRET = `TOP-SECRET-${randomUUID()}`;
const DOTENV = `DOTENV-${randomUUID()}`;
const INDEX = '<!doctype html><title>home</title>';
const SPA = '<!doctype html><title>spa</title>';
const PLAIN = 'hello, static world\n';
const BUNDLE = `console.log(${JSON.stringify('x'.repeat(2000))});\n`;
const MODIFIED = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
const BIG = randomBytes(1 << 20);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let dir: string;
let root: string;
let site: Served;
let atRoot: Served;

interface Served {
  readonly url: string;
  readonly server: http.Server;
  /** What each serveStatic call resolved or rejected with. */
  readonly results: PromiseSettledResult<number>[];
  /** Paths whose response ended without finishing (the client went away mid-body). */
  readonly cut: string[];
  readonly pending: Set<Promise<unknown>>;
}

/**
 * A plain node:http server: `/site/*` is a route with a single-page-app fallback, `/bare/*` the
 * same directory without one; `prefix: ''` serves the directory as the route at `/`.
 */
async function serve(mounts: readonly (readonly [prefix: string, target: StaticTarget])[]): Promise<Served> {
  const results: PromiseSettledResult<number>[] = [];
  const cut: string[] = [];
  const pending = new Set<Promise<unknown>>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const mount = mounts.find(([prefix]) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`));
    if (!mount) {
      res.writeHead(418).end();
      return;
    }
    const [prefix, target] = mount;
    const p = serveStatic(target, { method: req.method!, path: path.slice(prefix.length), prefix, query: q === -1 ? '' : url.slice(q), headers: req.headers }, res, ['x-base', 'yes']).then(
      (status) => {
        if (!res.writableFinished) cut.push(path);
        results.push({ status: 'fulfilled', value: status });
      },
      (reason: unknown) => void results.push({ status: 'rejected', reason }),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, results, cut, pending };
}

async function stop(s: Served): Promise<void> {
  s.server.closeAllConnections();
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** node:http as a client: the path goes out byte for byte, and nothing is decompressed. */
function request(s: Served, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(s.url);
    const req = http.request({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** curl with `--path-as-is`, so `..` and backslashes reach the server as typed. */
async function curl(s: Served, path: string): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await run('curl', ['-s', '-i', '--path-as-is', `${s.url}${path}`], { encoding: 'latin1' });
  const split = stdout.indexOf('\r\n\r\n');
  const headers = stdout.slice(0, split);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body: stdout.slice(split + 4) };
}

function problem(r: Reply): { status: number; title: string } {
  assert.equal(r.headers['content-type'], 'application/problem+json');
  return JSON.parse(r.body.toString('utf8')) as { status: number; title: string };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-static-'));
  root = join(dir, 'root');
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await mkdir(join(root, 'docs'), { recursive: true });
  await mkdir(join(root, 'empty'));
  await mkdir(join(root, 'evil.example'));
  await mkdir(join(root, '.well-known'));
  await mkdir(join(root, '.git'));
  await mkdir(join(root, 'docs', '.well-known'));
  const files: [string, string | Buffer][] = [
    ['index.html', INDEX],
    ['spa.html', SPA],
    ['plain.txt', PLAIN],
    ['style.css', 'body { color: red }'],
    ['app.js', 'export {};'],
    ['data.json', '{"a":1}'],
    ['logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['mod.wasm', Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])],
    ['blob.zzqq', Buffer.from([1, 2, 3])],
    ['empty.txt', ''],
    ['docs/index.html', '<!doctype html><title>docs</title>'],
    ['docs/.well-known/x', 'nested well-known'],
    ['empty/note.txt', 'not listed'],
    ['evil.example/index.html', 'evil dir index'],
    ['.env', DOTENV],
    ['.git/config', DOTENV],
    ['.well-known/x', 'well-known x'],
    ['bundle.js', BUNDLE],
    ['bundle.js.br', brotliCompressSync(BUNDLE)],
    ['bundle.js.gz', gzipSync(BUNDLE)],
    ['big.bin', BIG],
    ['huge.bin', ''],
  ];
  for (const [name, content] of files) await writeFile(join(root, name), content);
  await utimes(join(root, 'plain.txt'), MODIFIED, MODIFIED);
  // 64 MiB without using the disk: more than socket buffers hold, so a client can leave mid-body.
  await truncate(join(root, 'huge.bin'), 64 << 20);
  await symlink('../secret.txt', join(root, 'escape.txt'));
  await symlink('..', join(root, 'escape-dir'));
  await symlink('plain.txt', join(root, 'link.txt'));
  await symlink('.env', join(root, 'env-link'));
  const withFallback: StaticTarget = { kind: 'static', root, fallback: 'spa.html' };
  const bare: StaticTarget = { kind: 'static', root, fallback: undefined };
  site = await serve([
    ['/site', withFallback],
    ['/bare', bare],
  ]);
  atRoot = await serve([['', bare]]);
});

after(async () => {
  await stop(site);
  await stop(atRoot);
  await rm(dir, { recursive: true, force: true });
});

describe('path traversal never leaves the directory', () => {
  const attempts = [
    '/site/../secret.txt',
    '/site/../../secret.txt',
    '/site/%2e%2e/secret.txt',
    '/site/%2E%2e%2fsecret.txt',
    '/site/..%2fsecret.txt',
    '/site/..%5csecret.txt',
    '/site/a\\..\\..\\secret.txt',
    '/site/..\\secret.txt',
    '/site/%00',
    '/site/..%00/',
    '/site/secret.txt%00.html',
    '/site/%252e%252e/secret.txt',
    '/site/%252e%252e%252fsecret.txt',
    '/site/escape.txt',
    '/site/escape-dir/secret.txt',
    '/bare/escape-dir/',
    '/site/.%2e/secret.txt',
  ];
  for (const path of attempts) {
    test(`${path} (curl)`, async () => {
      const r = await curl(site, path);
      assert.ok(r.status === 400 || r.status === 404, `status ${r.status}`);
      assert.ok(!r.body.includes(SECRET), 'the secret leaked');
      assert.ok(!r.body.includes(INDEX), 'a file from the root was served instead');
      assert.match(r.headers, /^x-base: yes$/im);
    });
    test(`${path} (node:http)`, async () => {
      const r = await request(site, path);
      assert.ok(r.status === 400 || r.status === 404, `status ${r.status}`);
      assert.ok(!r.body.toString('latin1').includes(SECRET), 'the secret leaked');
      assert.equal(problem(r).status, r.status);
    });
  }

  test('dot segments and encoded separators are 400, not a lookup', async () => {
    for (const path of ['/site/../secret.txt', '/site/%2e%2e/secret.txt', '/site/..%5csecret.txt', '/site/a\\..\\..\\secret.txt', '/site/%00', '/site/..%00/']) {
      assert.equal((await curl(site, path)).status, 400, path);
    }
  });

  test('a symlink that stays inside the root is served; one to a dotfile is not', async () => {
    const r = await request(site, '/site/link.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), PLAIN);
    const hidden = await request(site, '/bare/env-link');
    assert.equal(hidden.status, 404);
    assert.ok(!hidden.body.toString().includes(DOTENV));
  });

  test('a malformed percent-encoding is 400', async () => {
    assert.equal((await request(site, '/site/%E0%A4%A')).status, 400);
    assert.equal((await request(site, '/site/%zz')).status, 400);
  });
});

describe('content types', () => {
  const cases: [string, string][] = [
    ['/site/index.html', 'text/html; charset=utf-8'],
    ['/site/style.css', 'text/css; charset=utf-8'],
    ['/site/app.js', 'text/javascript; charset=utf-8'],
    ['/site/data.json', 'application/json; charset=utf-8'],
    ['/site/logo.svg', 'image/svg+xml'],
    ['/site/mod.wasm', 'application/wasm'],
    ['/site/blob.zzqq', 'application/octet-stream'],
  ];
  for (const [path, type] of cases) {
    test(path, async () => {
      const r = await request(site, path);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], type);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers['content-length'], String(r.body.length));
    });
  }

  test('an empty file is a 200 with Content-Length 0', async () => {
    const r = await request(site, '/site/empty.txt');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '0');
    assert.equal(r.body.length, 0);
  });
});

describe('validators and conditional requests', () => {
  let etag: string;
  const LM = 'Tue, 02 Jan 2024 03:04:05 GMT';

  before(async () => {
    etag = (await request(site, '/site/plain.txt')).headers.etag as string;
  });

  test('a strong ETag and Last-Modified from the file', async () => {
    const r = await request(site, '/site/plain.txt');
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(r.headers['last-modified'], LM);
    assert.equal(r.headers['cache-control'], undefined, 'nothing special for a non-HTML file');
    assert.equal(r.headers.vary, undefined, 'no precompressed sibling, no Vary');
  });

  test('If-None-Match: 304 without a body, weak comparison, other tags 200', async () => {
    const r = await request(site, '/site/plain.txt', { headers: { 'if-none-match': etag } });
    assert.equal(r.status, 304);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['last-modified'], LM);
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['x-base'], 'yes');
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-none-match': `"nope", W/${etag}` } })).status, 304);
    assert.equal((await request(site, '/site/plain.txt', { method: 'HEAD', headers: { 'if-none-match': etag } })).status, 304);
    const other = await request(site, '/site/plain.txt', { headers: { 'if-none-match': '"nope"' } });
    assert.equal(other.status, 200);
    assert.equal(other.body.toString(), PLAIN);
  });

  test('If-Modified-Since, and only without If-None-Match', async () => {
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-modified-since': LM } })).status, 304);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-modified-since': 'Tue, 02 Jan 2024 03:04:04 GMT' } })).status, 200);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-modified-since': LM, 'if-none-match': '"nope"' } })).status, 200);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-modified-since': 'garbage' } })).status, 200);
  });

  test('If-Match and If-Unmodified-Since: 412 when false', async () => {
    const failed = await request(site, '/site/plain.txt', { headers: { 'if-match': '"nope"' } });
    assert.equal(failed.status, 412);
    assert.equal(problem(failed).status, 412);
    assert.ok(!failed.body.toString().includes(PLAIN));
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-match': etag } })).status, 200);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-match': '*' } })).status, 200);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-match': `W/${etag}` } })).status, 412, 'If-Match compares strongly');
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-unmodified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' } })).status, 412);
    assert.equal((await request(site, '/site/plain.txt', { headers: { 'if-unmodified-since': LM } })).status, 200);
  });

  test('the ETag follows the file', async () => {
    await writeFile(join(root, 'changing.txt'), 'one');
    const first = await request(site, '/site/changing.txt');
    await writeFile(join(root, 'changing.txt'), 'three');
    const second = await request(site, '/site/changing.txt', { headers: { 'if-none-match': first.headers.etag as string } });
    assert.equal(second.status, 200);
    assert.equal(second.body.toString(), 'three');
    assert.notEqual(second.headers.etag, first.headers.etag);
  });
});

describe('ranges', () => {
  const size = BIG.length;

  test('a single range is a 206 with exactly those bytes', async () => {
    const r = await request(site, '/site/big.bin', { headers: { range: 'bytes=1000-1999' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 1000-1999/${size}`);
    assert.equal(r.headers['content-length'], '1000');
    assert.deepEqual(r.body, BIG.subarray(1000, 2000));
  });

  test('suffix and open-ended ranges', async () => {
    const suffix = await request(site, '/site/plain.txt', { headers: { range: 'bytes=-6' } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.body.toString(), PLAIN.slice(-6));
    assert.equal(suffix.headers['content-range'], `bytes ${PLAIN.length - 6}-${PLAIN.length - 1}/${PLAIN.length}`);
    const open = await request(site, '/site/plain.txt', { headers: { range: 'bytes=7-' } });
    assert.equal(open.status, 206);
    assert.equal(open.body.toString(), PLAIN.slice(7));
  });

  test('an unsatisfiable range is a 416 with the size', async () => {
    const r = await request(site, '/site/plain.txt', { headers: { range: `bytes=${PLAIN.length}-` } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], `bytes */${PLAIN.length}`);
    assert.equal(problem(r).status, 416);
    assert.equal(r.headers['x-base'], 'yes');
  });

  test('If-Range: a matching ETag keeps the range, another ETag or an old date gets the whole file', async () => {
    const etag = (await request(site, '/site/plain.txt', { method: 'HEAD' })).headers.etag as string;
    assert.equal((await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-4', 'if-range': etag } })).status, 206);
    assert.equal((await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-4', 'if-range': 'Tue, 02 Jan 2024 03:04:05 GMT' } })).status, 206);
    const stale = await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-4', 'if-range': '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), PLAIN);
    assert.equal(stale.headers['content-range'], undefined);
    const old = await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-4', 'if-range': 'Mon, 01 Jan 2024 00:00:00 GMT' } });
    assert.equal(old.status, 200);
    assert.equal(old.body.toString(), PLAIN);
  });

  test('several ranges get the whole file with 200; adjacent ones merge into one', async () => {
    const multi = await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 200);
    assert.equal(multi.body.toString(), PLAIN);
    const merged = await request(site, '/site/plain.txt', { headers: { range: 'bytes=0-1,2-4' } });
    assert.equal(merged.status, 206);
    assert.equal(merged.body.toString(), PLAIN.slice(0, 5));
  });

  test('a malformed Range and HEAD with a Range get the whole file', async () => {
    const bad = await request(site, '/site/plain.txt', { headers: { range: 'bytes=abc' } });
    assert.equal(bad.status, 200);
    assert.equal(bad.body.toString(), PLAIN);
    const head = await request(site, '/site/plain.txt', { method: 'HEAD', headers: { range: 'bytes=0-4' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(PLAIN.length));
  });
});

describe('methods', () => {
  test('HEAD: the headers of a GET, Content-Length included, and no body', async () => {
    const r = await request(site, '/site/big.bin', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BIG.length));
    assert.equal(r.body.length, 0);
    const missing = await request(site, '/site/missing.js', { method: 'HEAD' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.length, 0);
    assert.equal(missing.headers['content-type'], 'application/problem+json');
  });

  test('OPTIONS: 204 with Allow', async () => {
    const r = await request(site, '/site/plain.txt', { method: 'OPTIONS' });
    assert.equal(r.status, 204);
    assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS');
    assert.equal(r.body.length, 0);
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PROPFIND']) {
    test(`${method}: 405 with Allow and a problem`, async () => {
      const r = await request(site, '/site/plain.txt', { method });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS');
      assert.equal(problem(r).status, 405);
      assert.ok(!r.body.toString().includes(PLAIN));
    });
  }
});

describe('precompressed variants', () => {
  const get = (encoding?: string, extra: Record<string, string> = {}) =>
    request(site, '/site/bundle.js', { headers: { ...(encoding === undefined ? {} : { 'accept-encoding': encoding }), ...extra } });
  const decode = (r: Reply) => {
    const coding = r.headers['content-encoding'];
    return (coding === 'br' ? brotliDecompressSync(r.body) : coding === 'gzip' ? gunzipSync(r.body) : r.body).toString();
  };

  // [Accept-Encoding, Content-Encoding sent]
  const cases: [string | undefined, string | undefined][] = [
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0, br;q=0', undefined],
    ['*;q=0', undefined],
    ['identity', undefined],
    [undefined, undefined],
  ];
  for (const [accept, coding] of cases) {
    test(`Accept-Encoding ${String(accept)} → ${String(coding ?? 'identity')}`, async () => {
      const r = await get(accept);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(r.headers['content-length'], String(r.body.length));
      if (coding !== undefined) assert.ok(r.body.length < BUNDLE.length, 'the compressed bytes were sent');
      assert.equal(decode(r), BUNDLE);
    });
  }

  test('each encoding has its own ETag, and 304 keeps Vary', async () => {
    const br = await get('br');
    const gz = await get('gzip');
    const id = await get(undefined);
    assert.match(br.headers.etag as string, /-br"$/);
    assert.match(gz.headers.etag as string, /-gzip"$/);
    assert.equal(new Set([br.headers.etag, gz.headers.etag, id.headers.etag]).size, 3);
    const notModified = await get('br', { 'if-none-match': br.headers.etag as string });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.vary, 'Accept-Encoding');
    assert.equal((await get('gzip', { 'if-none-match': br.headers.etag as string })).status, 200);
  });

  test('a range applies to the selected encoding’s bytes', async () => {
    const whole = await get('gzip');
    const r = await get('gzip', { range: 'bytes=0-9' });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual(r.body, whole.body.subarray(0, 10));
  });

  test('fetch decodes what it is sent', async () => {
    const r = await fetch(`${site.url}/site/bundle.js`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(r.headers.get('content-encoding'), 'br');
    assert.equal(await r.text(), BUNDLE);
  });
});

describe('directories', () => {
  test('without the trailing slash: 301 to the path with it, query kept', async () => {
    const r = await request(site, '/site/docs');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/site/docs/');
    assert.equal(r.headers['x-base'], 'yes');
    assert.equal((await request(site, '/site/docs?a=1&b=2')).headers.location, '/site/docs/?a=1&b=2');
    assert.equal((await request(site, '/site')).headers.location, '/site/');
  });

  test('a leading // never becomes a protocol-relative Location', async () => {
    const r = await request(atRoot, '//evil.example');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/evil.example/');
    const c = await curl(atRoot, '//evil.example?x=1');
    assert.match(c.headers, /^location: \/evil\.example\/\?x=1$/im);
  });

  test('with the slash: its index.html, revalidated', async () => {
    const docs = await request(site, '/site/docs/');
    assert.equal(docs.status, 200);
    assert.equal(docs.body.toString(), '<!doctype html><title>docs</title>');
    assert.equal(docs.headers['cache-control'], 'no-cache');
    const home = await request(site, '/site/');
    assert.equal(home.body.toString(), INDEX);
    assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('no listing: a directory without index.html is 404, even with a fallback', async () => {
    const r = await request(site, '/site/empty/');
    assert.equal(r.status, 404);
    assert.equal(problem(r).status, 404);
    assert.ok(!r.body.toString().includes('note.txt'));
    assert.ok(!r.body.toString().includes(SPA));
  });

  test('a file asked for as a directory is not found', async () => {
    assert.equal((await request(site, '/bare/plain.txt/')).status, 404);
  });
});

describe('single-page-app fallback', () => {
  test('an unknown route without an extension gets the fallback with 200', async () => {
    const r = await request(site, '/site/app/route');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), SPA);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
  });

  test('a missing asset stays a 404, unless the client asks for HTML', async () => {
    const js = await request(site, '/site/missing.js');
    assert.equal(js.status, 404);
    assert.ok(!js.body.toString().includes(SPA));
    const html = await request(site, '/site/missing.js', { headers: { accept: 'text/html,*/*;q=0.8' } });
    assert.equal(html.status, 200);
    assert.equal(html.body.toString(), SPA);
  });

  test('without a fallback, the unknown route is a 404', async () => {
    const r = await request(site, '/bare/app/route');
    assert.equal(r.status, 404);
    assert.equal(problem(r).status, 404);
  });
});

describe('hidden files', () => {
  for (const path of ['/site/.env', '/site/%2eenv', '/site/.git/config', '/site/docs/.well-known/x', '/site/.git/']) {
    test(`${path} is 404`, async () => {
      const r = await request(site, path);
      assert.equal(r.status, 404);
      assert.ok(!r.body.toString().includes(DOTENV));
      assert.ok(!r.body.toString().includes('well-known'));
    });
  }

  test('a leading .well-known is served', async () => {
    const r = await request(site, '/site/.well-known/x');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'well-known x');
  });
});

describe('files the server may not read', () => {
  test('a FIFO is 404, without blocking on open', { skip: process.platform === 'win32' }, async () => {
    await run('mkfifo', [join(root, 'pipe.txt')]);
    const r = await request(site, '/site/pipe.txt');
    assert.equal(r.status, 404);
  });

  test('an unreadable file is 403', { skip: process.platform === 'win32' || process.getuid?.() === 0 ? 'root reads everything' : false }, async () => {
    await writeFile(join(root, 'locked.txt'), 'locked');
    await chmod(join(root, 'locked.txt'), 0o000);
    const r = await request(site, '/site/locked.txt');
    assert.equal(r.status, 403);
    assert.equal(problem(r).status, 403);
  });
});

describe('streaming', () => {
  test('1 MiB arrives intact over node:http and fetch', async () => {
    const r = await request(site, '/site/big.bin');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BIG.length));
    assert.equal(sha256(r.body), sha256(BIG));
    const f = await fetch(`${site.url}/site/big.bin`);
    assert.equal(sha256(Buffer.from(await f.arrayBuffer())), sha256(BIG));
  });

  test('a client that goes away mid-body: the file is closed and nothing rejects', async () => {
    await Promise.all([...site.pending]); // earlier requests settle first: their results are not this one's
    const before = site.results.length;
    await new Promise<void>((resolve, reject) => {
      const u = new URL(site.url);
      const req = http.get({ host: u.hostname, port: u.port, path: '/site/huge.bin', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    });
    const deadline = Date.now() + 5000;
    while (site.results.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(site.results.slice(before), [{ status: 'fulfilled', value: 200 }]);
    assert.deepEqual(site.cut, ['/site/huge.bin'], 'the response was cut short');
    if (process.platform === 'linux') {
      const open: string[] = [];
      for (const fd of await readdir('/proc/self/fd')) {
        const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target.endsWith('.bin')) open.push(target);
      }
      assert.deepEqual(open, [], 'a file is still open');
    }
  });
});

test('x-base on every response, errors included, and no serveStatic call rejected', async () => {
  const etag = (await request(site, '/site/plain.txt')).headers.etag as string;
  const cases: [string, { method?: string; headers?: Record<string, string> }, number][] = [
    ['/site/plain.txt', {}, 200],
    ['/site/plain.txt', { headers: { range: 'bytes=0-1' } }, 206],
    ['/site/plain.txt', { method: 'OPTIONS' }, 204],
    ['/site/docs', {}, 301],
    ['/site/plain.txt', { headers: { 'if-none-match': etag } }, 304],
    ['/site/%2e%2e/secret.txt', {}, 400],
    ['/site/missing.js', {}, 404],
    ['/site/plain.txt', { method: 'POST' }, 405],
    ['/site/plain.txt', { headers: { 'if-match': '"nope"' } }, 412],
    ['/site/plain.txt', { headers: { range: 'bytes=9999-' } }, 416],
  ];
  for (const [path, opts, status] of cases) {
    const r = await request(site, path, opts);
    assert.equal(r.status, status, path);
    assert.equal(r.headers['x-base'], 'yes', `${status} ${path}`);
  }
  await Promise.all([...site.pending]);
  assert.deepEqual(
    site.results.filter((r) => r.status === 'rejected'),
    [],
  );
});
