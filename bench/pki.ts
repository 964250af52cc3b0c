// The benchmark's TLS certificate: self-signed, EC P-256 (the cheap handshake every server
// here uses alike), valid for the Host the load generator sends and for the loopback address.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export const BENCH_HOST = 'bench.test';

export interface BenchCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export async function createBenchCertificate(dir: string): Promise<BenchCertificate> {
  const pair = await selfsigned.generate([{ name: 'commonName', value: BENCH_HOST }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: BENCH_HOST }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, pair.cert);
  writeFileSync(keyPath, pair.private, { mode: 0o600 });
  return { certPem: pair.cert, keyPem: pair.private, certPath, keyPath };
}
