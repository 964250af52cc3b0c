// Requests that show the response exactly as sent: status, header pairs in wire order, body.
// node:http's rawHeaders keeps order and duplicates, which fetch() merges away.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

export interface RawResponse {
  readonly status: number;
  /** [lower-cased name, value] in the order they were sent. */
  readonly headers: [string, string][];
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** For https: the CA to trust and the SNI name. */
  readonly ca?: string;
  readonly servername?: string;
}

/** One request on a fresh connection (no keep-alive pool between tests). */
export function rawRequest(origin: string, r: RawRequest = {}): Promise<RawResponse> {
  const u = new URL(origin);
  const secure = u.protocol === 'https:';
  const options: https.RequestOptions = {
    host: u.hostname,
    port: u.port,
    method: r.method ?? 'GET',
    path: r.path ?? '/',
    headers: r.headers ?? {},
    agent: false,
    ...(secure ? { ca: r.ca, servername: r.servername } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, headers, body });
      });
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes bytes as they are and parses the HTTP/1.1 answer: for requests a client library
 * refuses to send. With `secure`, over TLS, trusting `ca`, with `servername` as SNI (none
 * when undefined).
 */
export function rawSocket(port: number, request: string, secure?: { ca: string; servername: string | undefined }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tls.connect({ host: '127.0.0.1', port, ca: secure.ca, ...(secure.servername ? { servername: secure.servername } : { checkServerIdentity: () => undefined }) })
      : net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error('socket timed out')));
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no complete response: ${JSON.stringify(data)}`));
      const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
      const headers = lines.map((l): [string, string] => {
        const colon = l.indexOf(':');
        return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()];
      });
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: data.slice(end + 4) });
    });
    socket.write(request);
  });
}

/** Headers a transport adds by itself, which a policy does not decide. */
export const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export const withoutTransport = (headers: [string, string][]): [string, string][] => headers.filter(([n]) => !TRANSPORT_HEADERS.has(n));
