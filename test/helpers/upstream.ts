// A real upstream for proxy tests: records every request it receives and answers by path.
//   /echo            the request body back, with the request's method, url and headers as JSON in x-seen
//   /count           reads the body and answers its byte count and sha256
//   /bytes?n=N       N bytes of a repeating pattern, streamed with backpressure
//   /own-headers     sends its own CORS, HSTS and Vary headers
//   /hang            never answers
//   /stall           sends headers and a first chunk, then nothing
//   /ws              a WebSocket echo (the `ws` library)
//   anything else    200 {"method","url","headers"}
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  /** The port the request's connection came from: one per connection Parapet opened. */
  readonly remotePort: number | undefined;
}

export interface Upstream {
  readonly origin: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  /** Bytes the `/bytes` handler has written so far (to see backpressure hold it back). */
  readonly progress: { written: number; closedEarly: number };
  close(): Promise<void>;
}

const PATTERN = Buffer.alloc(64 * 1024, 'parapet-');

export async function startUpstream(opts: { tls?: { certPem: string; keyPem: string }; port?: number } = {}): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const progress = { written: 0, closedEarly: 0 };
  const handler: http.RequestListener = (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: [...req.rawHeaders], remotePort: req.socket.remotePort });
    const url = new URL(req.url ?? '/', 'http://upstream');
    switch (url.pathname.replace(/^\/[^/]+(?=\/(echo|count|bytes|own-headers|hang|stall)$)/, '')) {
      case '/echo': {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-seen': JSON.stringify({ method: req.method, url: req.url }) });
        req.pipe(res);
        return;
      }
      case '/count': {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => json(res, 200, { bytes, sha256: hash.digest('hex') }));
        return;
      }
      case '/bytes': {
        const total = Number(url.searchParams.get('n') ?? '0');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
        let left = total;
        const pump = () => {
          while (left > 0) {
            const chunk = left >= PATTERN.length ? PATTERN : PATTERN.subarray(0, left);
            left -= chunk.length;
            progress.written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.once('close', () => {
          if (left > 0) progress.closedEarly++;
        });
        pump();
        return;
      }
      case '/own-headers':
        res.writeHead(200, {
          'content-type': 'text/plain',
          'access-control-allow-origin': '*',
          'access-control-allow-credentials': 'true',
          'strict-transport-security': 'max-age=5',
          vary: 'Accept-Encoding',
          'x-upstream': 'yes',
        });
        res.end('own headers');
        return;
      case '/hang':
        return;
      case '/stall':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first chunk');
        return;
      default:
        json(res, 200, { method: req.method, url: req.url, headers: req.headers });
    }
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler) : http.createServer(handler);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: [...req.rawHeaders], remotePort: req.socket.remotePort });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    progress,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
