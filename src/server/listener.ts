import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { ListenerSettings } from '../config/listeners.js';
import type { LimitSettings } from '../config/settings.js';
import { formatBind, type BindAddress } from '../config/values.js';
import { TLS_OPTIONS, type CertificateStore } from './certificates.js';
import type { Logger } from './log.js';
import type { Request, Response } from './pipeline.js';

export type Handler = (req: Request, res: Response) => void;
/** An HTTP/1.1 request with `Upgrade` (node's 'upgrade' event). */
export type UpgradeHandler = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;


/**
 * One configured listener: a socket server per bind address feeding a single http.Server
 * (HTTP/1.1, plain or over TLS) and, on TLS, an HTTP/2 server chosen by ALPN. Keeping the
 * HTTP servers apart from the sockets lets both protocols share one TLS port and lets the
 * certificates change under a running listener.
 */
export class RunningListener {
  readonly http1: http.Server;
  private readonly http2: http2.Http2Server | undefined;
  private readonly servers: (net.Server | tls.Server)[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  readonly bound: BindAddress[] = [];

  constructor(
    readonly settings: ListenerSettings,
    handler: Handler,
    upgrade: UpgradeHandler,
    limits: LimitSettings,
    private readonly certificates: () => CertificateStore,
    private readonly log: Logger,
  ) {
    this.http1 = http.createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        requireHostHeader: true,
        // Node checks header and request deadlines on this interval; the default (30 s) would
        // let a slow client outlive a short headers timeout by that much.
        connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
      },
      handler as http.RequestListener,
    );
    this.applyLimits(limits);
    // The http.Server never listens itself (the socket servers do). Its header and request
    // deadlines are armed when it emits 'listening', so emit it once here.
    this.http1.emit('listening');
    this.http1.on('upgrade', upgrade);
    this.http1.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    if (settings.tls) {
      this.http2 = http2.createServer(
        { maxHeaderListPairs: 256, settings: { maxConcurrentStreams: 128, maxHeaderListSize: limits.maxHeaderBytes } },
        handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
      );
      this.http2.on('session', (session) => {
        this.sessions.add(session);
        session.once('close', () => this.sessions.delete(session));
      });
    }
  }

  applyLimits(limits: LimitSettings): void {
    this.http1.headersTimeout = limits.headersTimeoutMs;
    this.http1.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
    this.http1.keepAliveTimeout = limits.keepAliveTimeoutMs;
  }

  async start(): Promise<void> {
    for (const bind of this.settings.binds) {
      const server = this.settings.tls ? this.createTlsServer() : net.createServer((socket) => this.accept(socket, false));
      if (this.settings.maxConnections) server.maxConnections = this.settings.maxConnections;
      await new Promise<void>((resolve, reject) => {
        const fail = (err: NodeJS.ErrnoException) => reject(new Error(`listener ${this.settings.id} cannot bind ${formatBind(bind)}: ${err.code ?? err.message}`));
        server.once('error', fail);
        server.listen({ host: bind.host, port: bind.port, ipv6Only: bind.host.includes(':') && bind.host !== '::' }, () => {
          server.off('error', fail);
          server.on('error', (err) => this.log.error({ err, listener: this.settings.id }, 'listener error'));
          resolve();
        });
      });
      const address = server.address() as net.AddressInfo;
      this.bound.push({ host: address.address, port: address.port });
      this.servers.push(server);
    }
  }

  /**
   * Whether a reloaded listener definition is this running one: same id, transport and
   * addresses, where a configured port may be 0 (any) or the port actually bound.
   */
  matches(next: ListenerSettings): boolean {
    const mine = this.settings;
    if (next.id !== mine.id || next.tls !== mine.tls || next.binds.length !== mine.binds.length) return false;
    return next.binds.every((b, i) => {
      const configured = mine.binds[i]!;
      return b.host === configured.host && (b.port === configured.port || b.port === this.bound[i]?.port);
    });
  }

  /** Releases the addresses (a replacement may bind them); open connections carry on. */
  stopAccepting(): void {
    for (const s of this.servers) if (s.listening) s.close();
  }

  private createTlsServer(): tls.Server {
    const fallback = this.certificates().fallback;
    const server = tls.createServer({
      ...TLS_OPTIONS,
      cert: fallback.certPem,
      key: fallback.keyPem,
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: this.http1.headersTimeout,
      SNICallback: (servername, cb) => cb(null, this.certificates().select(servername)),
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket, socket.alpnProtocol === 'h2'));
    server.on('tlsClientError', (err) => this.log.debug({ err: err.message, listener: this.settings.id }, 'TLS handshake failed'));
    return server;
  }

  private accept(socket: net.Socket, h2: boolean): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (h2) this.http2!.emit('connection', socket);
    else this.http1.emit('connection', socket);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: net.Socket): void {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = http.STATUS_CODES[status];
    const body = JSON.stringify({ type: 'about:blank', title: reason, status });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    this.log.info({ status, code: err.code, listener: this.settings.id }, 'malformed request');
  }

  /** New handshakes pick certificates through the store; this also updates the no-SNI default. */
  certificatesChanged(): void {
    if (!this.settings.tls) return;
    const fallback = this.certificates().fallback;
    for (const s of this.servers) {
      if (s instanceof tls.Server) s.setSecureContext({ ...TLS_OPTIONS, cert: fallback.certPem, key: fallback.keyPem });
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish and closes idle connections (HTTP/2
   * sessions with GOAWAY); whatever is still open after `graceMs` is cut.
   */
  async close(graceMs: number): Promise<void> {
    this.stopAccepting();
    for (const session of this.sessions) session.close();
    const deadline = Date.now() + graceMs;
    this.http1.closeIdleConnections();
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.http1.closeIdleConnections();
    }
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    this.http1.closeAllConnections();
  }

  urls(): string[] {
    const scheme = this.settings.tls ? 'https' : 'http';
    return this.bound.map((b) => {
      const host = b.host === '0.0.0.0' || b.host === '::' ? 'localhost' : b.host.includes(':') ? `[${b.host}]` : b.host;
      return `${scheme}://${host}:${b.port}/`;
    });
  }
}
