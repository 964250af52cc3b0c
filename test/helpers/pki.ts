// A throwaway certificate authority for tests: a CA and leaf certificates it signs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface Leaf {
  readonly certPem: string;
  readonly keyPem: string;
}

export async function createCa(name = 'Parapet Test CA'): Promise<TestCa> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { certPem: ca.cert, keyPem: ca.private };
}

/** A server certificate for the given DNS names (and 127.0.0.1 / ::1), signed by the CA. */
export async function issueLeaf(ca: TestCa, names: string[], opts: { ips?: string[] } = {}): Promise<Leaf> {
  const leaf = await selfsigned.generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    ca: { key: ca.keyPem, cert: ca.certPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          ...(opts.ips ?? ['127.0.0.1', '::1']).map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { certPem: leaf.cert, keyPem: leaf.private };
}

/** Writes PEM files into a fresh temporary folder and returns their paths. */
export function writePems(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-pki-'));
  const out: Record<string, string> = {};
  for (const [name, pem] of Object.entries(files)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], pem);
  }
  return out;
}
