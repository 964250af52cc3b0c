import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertificateSettings } from '../config/certificates.js';
import { certificateNames } from '../config/certificates.js';

/** TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites are all strong. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS_OPTIONS = { minVersion: 'TLSv1.2', ciphers: TLS12_CIPHERS, honorCipherOrder: true } as const;

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Certificates by the names they answer for, chosen per handshake from the SNI name. */
export class CertificateStore {
  private readonly exact = new Map<string, SecureContext>();
  private readonly wildcard = new Map<string, SecureContext>();
  readonly fallback: KeyPair;
  private readonly fallbackContext: SecureContext;
  /** Contexts by the PEM pair they were made from. */
  private readonly contexts = new Map<string, SecureContext>();

  /**
   * `previous`: the store this one replaces. Its contexts are reused for unchanged PEM pairs:
   * building one costs milliseconds, and a reload that changes no certificate then builds none.
   */
  constructor(certs: readonly CertificateSettings[], selfSigned: KeyPair | undefined, previous?: CertificateStore) {
    for (const c of certs) {
      const ctx = this.context(c, previous);
      for (const name of c.names) {
        if (name.startsWith('*.')) this.wildcard.set(name.slice(1), ctx);
        else if (!this.exact.has(name)) this.exact.set(name, ctx);
      }
    }
    const chosen = certs.find((c) => c.isDefault) ?? certs[0];
    this.fallback = chosen ? { certPem: chosen.certPem, keyPem: chosen.keyPem } : selfSigned!;
    this.fallbackContext = this.context(this.fallback, previous);
  }

  private context(pair: KeyPair, previous: CertificateStore | undefined): SecureContext {
    const id = `${pair.certPem}\0${pair.keyPem}`;
    const ctx = this.contexts.get(id) ?? previous?.contexts.get(id) ?? createSecureContext({ cert: pair.certPem, key: pair.keyPem, ...TLS_OPTIONS });
    this.contexts.set(id, ctx);
    return ctx;
  }

  /** The certificate whose names match the SNI name, else the default one. */
  select(servername: string): SecureContext {
    const name = servername.toLowerCase();
    const exact = this.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(name.slice(dot));
      if (wild) return wild;
    }
    return this.fallbackContext;
  }
}

/**
 * The embedded default's certificate: generated on first start, kept in the data folder,
 * reused while it is valid for a month more and still names this host.
 */
export async function ensureSelfSigned(dataDir: string, hostname: string): Promise<KeyPair> {
  const certPath = join(dataDir, 'self-signed.crt');
  const keyPath = join(dataDir, 'self-signed.key');
  const names = [...new Set([hostname.toLowerCase(), 'localhost'])];
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    const cert = new X509Certificate(certPem);
    const fresh = new Date(cert.validTo).getTime() > Date.now() + 30 * 86_400_000;
    const covers = names.every((n) => certificateNames(cert).includes(n));
    if (fresh && covers) return { certPem, keyPem };
  } catch {
    /* missing or unreadable: make a new one */
  }
  const notAfterDate = new Date(Date.now() + 365 * 86_400_000);
  // Loaded only here: its X.509 stack is large, and a config with certificates never needs it.
  const { default: selfsigned } = await import('selfsigned');
  const generated = await selfsigned.generate([{ name: 'commonName', value: names[0]! }], {
    keyType: 'ec',
    algorithm: 'sha256',
    curve: 'P-256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }],
      },
    ],
  });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(keyPath, generated.private, { mode: 0o600 });
  writeFileSync(certPath, generated.cert);
  return { certPem: generated.cert, keyPem: generated.private };
}
