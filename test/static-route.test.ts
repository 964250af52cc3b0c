// Static routes through Parapet itself: the policy's headers on every file answer, the
// route's decisions as `parapet explain` gives them, traversal refused before a file is read.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createCa, issueLeaf, type TestCa } from './helpers/pki.js';
import { explainFromFile } from './helpers/explain.js';
import { rawRequest } from './helpers/raw.js';
import { certificate, listener, startServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const SECRET = `SECRET-${randomUUID()}`;

describe('static routes served by Parapet', () => {
  let ca: TestCa;
  let s: TestServer;
  let root: string;
  const host = 'www.example.test';
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parapet-static-route-'));
    root = join(dir, 'www');
    await mkdir(join(root, 'docs'), { recursive: true });
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await writeFile(join(root, 'index.html'), '<!doctype html><title>home</title>');
    await writeFile(join(root, 'app.js'), 'console.log(1);\n');
    await writeFile(join(root, 'docs', 'index.html'), '<!doctype html><title>docs</title>');
    ca = await createCa();
    const leaf = await issueLeaf(ca, [host]);
    s = await startServer(
      `${listener('https', { tls: true })}${certificate('main', leaf.certPem, leaf.keyPem)}[http]\nhsts = true\npermissive-cors = true\n` +
        `[http.route.site]\npath = "/site"\nstatic = "${root}"\nfallback = "index.html"\n`,
    );
  });
  after(() => s.close());

  const request = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    rawRequest(s.url('https'), { path, method, ca: ca.certPem, servername: host, headers: { host, ...headers } });
  const values = (r: { headers: [string, string][] }, name: string) => r.headers.filter(([n]) => n === name).map(([, v]) => v);

  test('files, 304s, redirects and 404s all carry HSTS and CORS, once each', async () => {
    const file = await request('/site/app.js', { origin: 'https://app.example' });
    assert.equal(file.status, 200);
    assert.equal(file.body, 'console.log(1);\n');
    assert.match(values(file, 'content-type')[0]!, /^(application|text)\/javascript/);
    const etag = values(file, 'etag')[0]!;
    const answers = [
      file,
      await request('/site/app.js', { 'if-none-match': etag }),
      await request('/site/docs'),
      await request('/site/missing.png'),
      await request('/site/app.js', {}, 'DELETE'),
      await request('/site/app.js', { range: 'bytes=0-6' }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [200, 304, 301, 404, 405, 206]);
    for (const a of answers) {
      assert.equal(values(a, 'strict-transport-security').length, 1, `HSTS on ${a.status}`);
      assert.deepEqual(values(a, 'access-control-allow-origin'), ['*'], `CORS on ${a.status}`);
    }
    assert.deepEqual(values(answers[2]!, 'location'), ['/site/docs/']);
    assert.equal(answers[5]!.body, 'console');
  });

  test('a client-side route gets the fallback; the directory index is served', async () => {
    const spa = await request('/site/settings/profile', { accept: 'text/html' });
    assert.equal(spa.status, 200);
    assert.match(spa.body, /<title>home<\/title>/);
    const docs = await request('/site/docs/');
    assert.match(docs.body, /<title>docs<\/title>/);
  });

  test('traversal attempts never leave the directory (curl --path-as-is)', async () => {
    for (const path of ['/site/../secret.txt', '/site/%2e%2e/secret.txt', '/site/%2E%2e%2fsecret.txt', '/site/..%5csecret.txt', '/site/..%2f..%2fsecret.txt', '/site/%00', '/site/%252e%252e/secret.txt']) {
      const { stdout } = await run('curl', ['-sk', '--path-as-is', '-H', `Host: ${host}`, '-w', '\n%{http_code}', `${s.url('https')}${path}`]);
      const status = stdout.slice(stdout.lastIndexOf('\n') + 1);
      assert.ok(status === '400' || status === '404', `${path}: ${status}`);
      assert.ok(!stdout.includes(SECRET), path);
    }
  });

  test('HTTP/2 clients get the same file and headers', async () => {
    const session = http2.connect(s.url('https'), { ca: ca.certPem, servername: host });
    try {
      const stream = session.request({ ':path': '/site/app.js', host });
      const [headers, body] = await Promise.all([
        new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve)),
        new Promise<string>((resolve) => {
          let text = '';
          stream.setEncoding('utf8');
          stream.on('data', (d: string) => (text += d));
          stream.on('end', () => resolve(text));
        }),
      ]);
      assert.equal(headers[':status'], 200);
      assert.equal(headers['access-control-allow-origin'], '*');
      assert.ok(headers['strict-transport-security']);
      assert.equal(body, 'console.log(1);\n');
    } finally {
      session.close();
    }
  });

  test('explain names the route and the directory', async () => {
    const e = explainFromFile(s.configPath, { method: 'GET', path: '/site/app.js', ip: '127.0.0.1', scheme: 'https', host });
    assert.equal(e.step, 'static');
    assert.equal(e.route, 'site');
    assert.match(e.decision, new RegExp(`served from ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(http\\.route\\.site\\)`));
    const live = await request('/site/app.js');
    for (const h of e.headers) assert.ok(live.headers.some(([n, v]) => n === h.name && v === h.value), `${h.name}: ${h.value}`);
  });
});
