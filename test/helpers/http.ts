// Real clients for tests: undici's fetch with a CA to trust, and raw HTTP/2 via node:http2.
import http2 from 'node:http2';
import type { LookupFunction } from 'node:net';
import { Agent, fetch, type Response } from 'undici';

/**
 * An undici dispatcher that trusts the test CA and resolves every host name to loopback,
 * so tests can use real names (`https://mail.example.test:PORT/`) for SNI and HSTS.
 */
export function agentTrusting(caPem: string, servername?: string): Agent {
  return new Agent({ connect: { ca: caPem, lookup: loopbackLookup, ...(servername ? { servername } : {}) } });
}

const loopbackLookup: LookupFunction = (_host, options, callback) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** fetch() without following redirects, so tests see 301/308 themselves. */
export async function get(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; dispatcher?: Agent } = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', ...init });
}

export interface H2Response {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: string;
  readonly alpn: string | false | undefined;
}

export function h2request(url: string, caPem: string, headers: Record<string, string> = {}, servername?: string): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const session = http2.connect(u.origin, { ca: caPem, ...(servername ? { servername } : {}) });
    session.on('error', reject);
    const req = session.request({ ':path': u.pathname + u.search, ...headers });
    let body = '';
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status, headers: responseHeaders, body, alpn });
    });
    req.on('error', reject);
    req.end();
  });
}
