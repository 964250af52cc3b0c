import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { ConfigReader } from './reader.js';

export interface CertificateSettings {
  readonly id: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly isDefault: boolean;
  /** Host names this certificate answers for: its SANs (or CN) plus `subjects`. */
  readonly names: readonly string[];
  readonly notAfter: Date;
}

export function readCertificates(r: ConfigReader): CertificateSettings[] {
  const out: CertificateSettings[] = [];
  for (const id of r.children('certificate').sort()) {
    const base = `certificate.${id}`;
    const certPem = r.string(`${base}.cert`);
    const keyPem = r.string(`${base}.private-key`);
    const isDefault = r.bool(`${base}.default`, false);
    const subjects = r.list(`${base}.subjects`).map((s) => s.toLowerCase());
    if (!certPem || !keyPem) {
      r.report('CFG_CERT_MISSING_PART', `certificate \`${id}\` needs both \`cert\` and \`private-key\``, certPem ? `${base}.private-key` : `${base}.cert`);
      continue;
    }
    const cert = parsePem(r, `${base}.cert`, certPem, 'CERTIFICATE', (pem) => new X509Certificate(pem));
    const key = parsePem(r, `${base}.private-key`, keyPem, 'PRIVATE KEY', (pem) => createPrivateKey(pem));
    if (!cert || !key) continue;
    if (!cert.checkPrivateKey(key as KeyObject)) {
      r.report('CFG_CERT_KEY_MISMATCH', `the private key of certificate \`${id}\` does not belong to its certificate (${cert.subject.replace(/\n/g, ', ')})`, `${base}.private-key`);
      continue;
    }
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() < Date.now()) {
      r.report('CFG_CERT_EXPIRED', `certificate \`${id}\` expired on ${notAfter.toISOString()}`, `${base}.cert`);
    }
    out.push({ id, certPem, keyPem, isDefault, names: [...new Set([...certificateNames(cert), ...subjects])], notAfter });
  }
  const defaults = out.filter((c) => c.isDefault);
  if (defaults.length > 1) {
    r.report('CFG_CERT_MULTIPLE_DEFAULT', `certificates ${defaults.map((c) => `\`${c.id}\``).join(' and ')} are all marked \`default = true\`; keep one`, `certificate.${defaults[1]!.id}.default`);
  }
  return out;
}

function parsePem<T>(r: ConfigReader, key: string, value: string, label: string, parse: (pem: string) => T): T | undefined {
  if (!value.includes('-----BEGIN')) {
    const looksLikePath = /^[./~]|\.(pem|crt|cer|key)$/i.test(value.trim());
    if (looksLikePath) {
      r.report('CFG_CERT_BARE_PATH', `\`${value.trim()}\` is a file path, but the value must be the PEM text itself: write \`%{file:${value.trim()}}%\``, key);
      return undefined;
    }
  }
  try {
    return parse(value);
  } catch (err) {
    r.report(label === 'CERTIFICATE' ? 'CFG_CERT_INVALID' : 'CFG_CERT_KEY_INVALID', `not a valid PEM ${label.toLowerCase()} (${(err as Error).message})`, key);
    return undefined;
  }
}

export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:') || s.startsWith('IP Address:'))
      .map((s) => s.slice(s.indexOf(':') + 1).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}
