import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import tls from 'node:tls';
import { createCa, issueLeaf, writePems } from './helpers/pki.js';
import { listener, startServer } from './helpers/server.js';

function handshake(port: number, ca: string): Promise<{ fingerprint: string; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'mail.example.test', ca, ALPNProtocols: ['http/1.1'] }, () =>
      resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, socket }),
    );
    socket.on('error', reject);
  });
}

function requestOver(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const onData = (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('{"status":"live"}')) {
        socket.off('data', onData);
        resolve(reply);
      }
    };
    socket.on('data', onData);
    socket.write('GET /healthz/live HTTP/1.1\r\nHost: mail.example.test\r\n\r\n');
  });
}

async function waitForFingerprint(port: number, ca: string, expected: string, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { fingerprint, socket } = await handshake(port, ca);
    socket.destroy();
    if (fingerprint === expected) return Date.now() - started;
    if (Date.now() - started > withinMs) assert.fail(`new handshakes still see the old certificate after ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a certificate replaced on disk is served on the next handshakes; open connections continue', async () => {
  const ca = await createCa();
  const [first, second, third] = await Promise.all([1, 2, 3].map(() => issueLeaf(ca, ['mail.example.test'])));
  const files = writePems({ 'cert.pem': first!.certPem, 'key.pem': first!.keyPem });
  const s = await startServer(
    `${listener('tls', { tls: true })}\n[certificate.main]\ncert = "%{file:${files['cert.pem']}}%"\nprivate-key = "%{file:${files['key.pem']}}%"\n`,
  );
  try {
    const port = s.port('tls');
    const fingerprintOf = async (pem: string) => new (await import('node:crypto')).X509Certificate(pem).fingerprint256;
    const open = await handshake(port, ca.certPem);
    assert.equal(open.fingerprint, await fingerprintOf(first!.certPem));
    assert.match(await requestOver(open.socket), /^HTTP\/1\.1 200 /);

    // Rewritten in place (key first, then certificate, as a careless script might).
    writeFileSync(files['key.pem']!, second!.keyPem);
    writeFileSync(files['cert.pem']!, second!.certPem);
    const tookInPlace = await waitForFingerprint(port, ca.certPem, await fingerprintOf(second!.certPem), 5000);
    assert.ok(tookInPlace < 5000);

    // A new file renamed over the old one, as certbot and acme.sh do.
    writeFileSync(`${files['key.pem']}.new`, third!.keyPem);
    writeFileSync(`${files['cert.pem']}.new`, third!.certPem);
    renameSync(`${files['key.pem']}.new`, files['key.pem']!);
    renameSync(`${files['cert.pem']}.new`, files['cert.pem']!);
    await waitForFingerprint(port, ca.certPem, await fingerprintOf(third!.certPem), 5000);

    // The connection opened before both renewals still serves requests.
    assert.match(await requestOver(open.socket), /^HTTP\/1\.1 200 /);
    open.socket.destroy();
  } finally {
    await s.close();
  }
});
