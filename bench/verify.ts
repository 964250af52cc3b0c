// One real request before each measurement: a server that answers the wrong status or
// leaves out a header would otherwise look fast by doing less, or be measured while broken.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ExpectedResponse } from './contract.js';

export interface VerifyTarget {
  readonly label: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** SNI name and the certificate to trust, for TLS targets. */
  readonly tls?: { readonly servername: string; readonly caPem: string };
  readonly expected: ExpectedResponse;
}

export interface VerifiedResponse {
  /** e.g. `TLSv1.3 TLS_AES_256_GCM_SHA384`; undefined over plain HTTP. */
  readonly tlsSession: string | undefined;
  /** Headers beyond the expected ones and the transport's own (date, connection, …). */
  readonly extraHeaders: readonly string[];
}

export class VerificationError extends Error {}

const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'transfer-encoding']);

export async function verifyResponse(t: VerifyTarget): Promise<VerifiedResponse> {
  const { res, body, tlsSession } = await request(t);
  const problems: string[] = [];
  const e = t.expected;
  if (res.statusCode !== e.status) problems.push(`status ${res.statusCode}, expected ${e.status}`);
  if (body !== e.body) problems.push(`body ${JSON.stringify(body.slice(0, 200))}, expected ${JSON.stringify(e.body)}`);
  const mediaType = res.headers['content-type']?.split(';')[0]?.trim();
  if (mediaType !== e.contentType) problems.push(`content-type ${JSON.stringify(res.headers['content-type'])}, expected ${e.contentType ?? 'none'}`);
  for (const [name, value] of Object.entries(e.headers)) {
    const got = res.headers[name];
    if (got !== value) problems.push(`${name}: ${got === undefined ? 'missing' : JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
  }
  for (const name of e.absent) {
    if (res.headers[name] !== undefined) problems.push(`${name} must not be sent here, got ${JSON.stringify(res.headers[name])}`);
  }
  if (problems.length > 0) {
    throw new VerificationError(`${t.label}: ${t.method} ${t.url} answered wrongly, so it is not measured:\n  - ${problems.join('\n  - ')}`);
  }
  const extraHeaders = Object.keys(res.headers).filter((h) => !TRANSPORT_HEADERS.has(h) && !(h in e.headers));
  return { tlsSession, extraHeaders };
}

function request(t: VerifyTarget): Promise<{ res: IncomingMessage; body: string; tlsSession: string | undefined }> {
  return new Promise((resolve, reject) => {
    const options = { method: t.method, headers: t.headers, agent: false as const, timeout: 5000 };
    const req = t.tls
      ? https.request(t.url, { ...options, servername: t.tls.servername, ca: t.tls.caPem })
      : http.request(t.url, options);
    let tlsSession: string | undefined;
    req.once('socket', (socket) => {
      if (!t.tls) return;
      socket.once('secureConnect', () => {
        const s = socket as TLSSocket;
        tlsSession = `${s.getProtocol() ?? '?'} ${s.getCipher().standardName}`;
      });
    });
    req.once('timeout', () => req.destroy(new Error(`${t.label}: no answer from ${t.url} within 5 s`)));
    req.once('error', (err) => reject(new VerificationError(`${t.label}: ${t.method} ${t.url} failed: ${err.message}`)));
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ res, body, tlsSession }));
      res.once('error', reject);
    });
    req.end();
  });
}
