// The security report: what the live configuration means for an operator, as findings.
import type { Settings } from '../../config/settings.js';

export type Severity = 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  readonly key: string;
  readonly message: string;
}

export interface ReportFacts {
  readonly settings: Settings;
  /** Whether the fallback admin's secret is plain text rather than a hash. */
  readonly plaintextAdminSecret: boolean;
  readonly now: number;
}

const DAY = 86_400_000;

export function securityReport({ settings: s, plaintextAdminSecret, now }: ReportFacts): Finding[] {
  const f: Finding[] = [];
  const tls = s.listeners.some((l) => l.tls);
  const hsts = s.http.hsts;
  if (!hsts.enabled) {
    f.push({ code: 'HSTS_OFF', severity: 'medium', key: 'http.hsts', message: 'HSTS is off: a network attacker can keep browsers on plain HTTP' });
  } else if (!tls && !s.http.forwarded.useXForwarded) {
    f.push({ code: 'HSTS_UNDELIVERABLE', severity: 'high', key: 'http.hsts', message: 'HSTS is on but never sent: no TLS listener and no trusted forwarded protocol' });
  } else {
    f.push({ code: 'HSTS_ON', severity: 'info', key: 'http.hsts', message: `HSTS is sent over HTTPS with max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''} (never for IP or localhost hosts)` });
    if (hsts.maxAgeSeconds < 180 * 86_400) f.push({ code: 'HSTS_SHORT', severity: 'low', key: 'http.hsts-max-age', message: `max-age of ${hsts.maxAgeSeconds}s is short; a year is usual` });
    if (!hsts.redirect) f.push({ code: 'HSTS_NO_REDIRECT', severity: 'medium', key: 'http.hsts-redirect', message: 'plain HTTP is served instead of redirected: a first visit over HTTP never reaches HTTPS' });
  }
  if (!tls) f.push({ code: 'NO_TLS', severity: s.http.forwarded.useXForwarded ? 'low' : 'high', key: 'server.listener', message: 'no listener terminates TLS' });
  const cors = s.http.cors;
  if (cors.mode === 'permissive') {
    f.push({ code: 'CORS_PERMISSIVE', severity: 'medium', key: 'http.permissive-cors', message: 'every website may read responses from this server; safe only because no cookies are used (credentials travel in the Authorization header): prefer http.cors.allowed-origins' });
  } else if (cors.mode === 'allowlist') {
    f.push({ code: 'CORS_ALLOWLIST', severity: 'info', key: 'http.cors.allowed-origins', message: `${cors.exactOrigins.length + cors.patterns.length} allowed origin(s)${cors.allowCredentials ? ', with credentials' : ''}` });
  } else {
    f.push({ code: 'CORS_OFF', severity: 'info', key: 'http.permissive-cors', message: 'CORS is off: a webadmin on another origin cannot manage this server' });
  }
  if (s.http.forwarded.useXForwarded && !s.http.forwarded.trustedProxies) {
    f.push({ code: 'FORWARDED_UNTRUSTED', severity: 'high', key: 'http.use-x-forwarded', message: 'forwarded headers are believed from anyone: clients choose the IP that rate limits, bans and access rules see' });
  }
  if (plaintextAdminSecret) {
    f.push({ code: 'ADMIN_SECRET_PLAINTEXT', severity: 'high', key: 'authentication.fallback-admin.secret', message: 'the fallback admin secret is stored in plain text; store an argon2id or $6$ hash' });
  }
  for (const c of s.certificates) {
    const left = c.notAfter.getTime() - now;
    const severity: Severity = left < 0 ? 'high' : left < 14 * DAY ? 'high' : left < 30 * DAY ? 'medium' : 'info';
    f.push({ code: left < 0 ? 'CERT_EXPIRED' : 'CERT_EXPIRY', severity, key: `certificate.${c.id}`, message: `${c.names.join(', ')}: valid until ${c.notAfter.toISOString()}` });
  }
  if (tls && s.certificates.length === 0) {
    f.push({ code: 'CERT_SELF_SIGNED', severity: 'medium', key: 'certificate', message: 'TLS uses a self-signed certificate that browsers do not trust' });
  }
  return f;
}
