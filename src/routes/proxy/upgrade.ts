import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { ProxyTarget } from '../../config/routes.js';
import { PROBLEM_TYPE, problemBody } from '../../net/problem.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type ForwardingFacts } from './headers.js';
import { upstreamFailure } from './index.js';

/** An HTTP/1.1 upgrade request (a WebSocket handshake) to pass on. */
export interface ProxiedUpgrade {
  readonly req: IncomingMessage;
  /** The client's connection, handed over by node's `upgrade` event. */
  readonly socket: Duplex;
  /** Bytes the client sent after the request head. */
  readonly head: Buffer;
  readonly forwarding: ForwardingFacts;
  readonly base: readonly string[];
  readonly manages: (name: string) => boolean;
}

/**
 * Passes an upgrade request (WebSocket, RFC 6455 §4) to the upstream. On `101` the two
 * connections are joined and bytes flow both ways until either side closes; any other answer
 * is passed back as a normal response, and the connection closed after it. Resolves to the
 * status the client got.
 */
export function proxyUpgrade(target: ProxyTarget, p: ProxiedUpgrade): Promise<number> {
  return new Promise((resolve) => {
    const { socket } = p;
    const url = target.upstream;
    const headers = upstreamRequestHeaders(p.req.rawHeaders, p.forwarding, { preserveHost: target.preserveHost, upstreamHost: url.host });
    // Hop-by-hop fields are dropped on the way; the upgrade itself is this hop's business.
    headers.push('connection', 'upgrade', 'upgrade', p.req.headers.upgrade ?? 'websocket');
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      method: p.req.method,
      path: p.req.url,
      headers: headers as unknown as http.OutgoingHttpHeaders,
      agent: false,
      timeout: target.responseTimeoutMs,
      ...(target.ca !== undefined ? { ca: target.ca } : {}),
    };
    const upstream = (url.protocol === 'https:' ? https : http).request(options);
    let settled = false;
    const settle = (status: number) => {
      if (settled) return;
      settled = true;
      resolve(status);
    };
    socket.on('error', () => upstream.destroy());
    socket.once('close', () => {
      if (!settled) upstream.destroy();
      settle(499);
    });
    const connectTimer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), target.connectTimeoutMs);
    upstream.once('socket', (s) => s.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('no answer'), { code: 'UND_ERR_HEADERS_TIMEOUT' })));

    upstream.on('upgrade', (res, upstreamSocket, upstreamHead) => {
      clearTimeout(connectTimer);
      upstreamSocket.setTimeout(0);
      const lines = [`HTTP/1.1 101 Switching Protocols`];
      pushHeaderLines(lines, p.base);
      // On a 101, Connection and Upgrade are what the client must see: kept as the upstream sent them.
      lines.push(`connection: ${res.headers.connection ?? 'upgrade'}`, `upgrade: ${res.headers.upgrade ?? ''}`);
      pushHeaderLines(lines, downstreamResponseHeaders(res.headers, p.manages));
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (p.head.length > 0) upstreamSocket.write(p.head);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('error', () => upstreamSocket.destroy());
      upstreamSocket.once('close', () => socket.destroy());
      socket.once('close', () => upstreamSocket.destroy());
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
      settle(101);
    });

    upstream.on('response', (res) => {
      clearTimeout(connectTimer);
      const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
      pushHeaderLines(lines, p.base);
      pushHeaderLines(lines, downstreamResponseHeaders(res.headers, (name) => p.manages(name) || name === 'content-length'));
      lines.push('connection: close');
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      res.pipe(socket);
      res.on('error', () => socket.destroy());
      settle(res.statusCode ?? 502);
    });

    upstream.on('error', (err) => {
      clearTimeout(connectTimer);
      if (settled) return void socket.destroy();
      const { status, detail } = upstreamFailure(err);
      writeRawResponse(socket, status, p.base, PROBLEM_TYPE, problemBody(status, detail));
      settle(status);
    });

    // An upgrade handshake has no body (RFC 6455 §4.1: a GET).
    upstream.end();
  });
}

/** A complete response written straight to a connection node has handed over, then closed. */
function writeRawResponse(socket: Duplex, status: number, headers: readonly string[], type: string | undefined, body: string): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}`];
  pushHeaderLines(lines, headers);
  if (type !== undefined) lines.push(`content-type: ${type}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function pushHeaderLines(lines: string[], flat: readonly string[]): void {
  for (let i = 0; i + 1 < flat.length; i += 2) lines.push(`${flat[i]}: ${flat[i + 1]}`);
}
