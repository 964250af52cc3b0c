import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { ListenerSettings } from '../config/listeners.js';
import type { LimitSettings } from '../config/settings.js';
import { formatBind, type BindAddress } from '../config/values.js';
import { TLS_OPTIONS, type CertificateStore, type KeyPair } from './certificates.js';
import { clientErrorAnswer, clientErrorStatus } from './client-error.js';
import { boundRequestTime, http2Options, SessionGuard } from './http2-sessions.js';
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
  private readonly guard: SessionGuard | undefined;
  private limits!: LimitSettings;
  private closing = false;
  readonly bound: BindAddress[] = [];
  /** The no-SNI default certificate the TLS servers were last given. */
  private servedFallback: KeyPair | undefined;

  constructor(
    readonly settings: ListenerSettings,
    handler: Handler,
    upgrade: UpgradeHandler,
    /**
     * The policy's headers for answers written outside the pipeline (parser errors, timeouts),
     * given the host the client named, where one is known: its TLS server name (SNI), or an
     * HTTP/2 request's `:authority`.
     */
    private readonly errorHeaders: (host: string | undefined) => readonly string[],
    limits: LimitSettings,
    private readonly certificates: () => CertificateStore,
    private readonly log: Logger,
  ) {
    this.http1 = http.createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        // The decision refuses a missing Host itself (decide.ts): node's own 400 would still
        // hand the requests pipelined behind it to the handler, and carries no problem+json.
        requireHostHeader: false,
        // Node checks header and request deadlines on this interval; the default (30 s) would
        // let a slow client outlive a short headers timeout by that much.
        connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
      },
      handler as http.RequestListener,
    );
    this.applyLimits(limits, settings.maxConnections);
    // The http.Server never listens itself (the socket servers do). Its header and request
    // deadlines are armed when it emits 'listening', so emit it once here.
    this.http1.emit('listening');
    this.http1.on('upgrade', upgrade);
    this.http1.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.onClientError(err, socket));
    if (settings.tls) {
      this.http2 = http2.createServer(http2Options(limits), handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
      const guard = new SessionGuard(
        () => this.limits,
        (reason, abusive) => this.log[abusive ? 'info' : 'debug']({ reason, listener: this.settings.id }, abusive ? 'HTTP/2 session cut' : 'HTTP/2 session closed'),
      );
      this.guard = guard;
      this.http2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => boundRequestTime(req, res, this.limits.requestTimeoutMs, this.errorHeaders(req.authority)));
      this.http2.on('session', (session) => {
        this.sessions.add(session);
        session.once('close', () => this.sessions.delete(session));
        guard.watch(session);
        // A handshake that completed while the listener was closing.
        if (this.closing) session.close();
      });
    }
  }

  /** `maxConnections`: the reloaded listener definition's, undefined for no limit (a kept listener takes it too). */
  applyLimits(limits: LimitSettings, maxConnections: number | undefined): void {
    this.limits = limits;
    for (const server of this.servers) server.maxConnections = maxConnections ?? Infinity;
    this.http1.headersTimeout = limits.headersTimeoutMs;
    this.http1.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
    this.http1.keepAliveTimeout = limits.keepAliveTimeoutMs;
  }

  async start(): Promise<void> {
    for (const bind of this.settings.binds) {
      // noDelay as node:http's own servers set it: answers leave at once, not after Nagle's wait.
      const server = this.settings.tls ? this.createTlsServer() : net.createServer({ noDelay: true }, (socket) => this.accept(socket, false));
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
    this.servedFallback = fallback;
    const server = tls.createServer({
      ...TLS_OPTIONS,
      noDelay: true,
      cert: fallback.certPem,
      key: fallback.keyPem,
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: this.http1.headersTimeout,
      SNICallback: (servername, cb) => cb(null, this.certificates().select(servername)),
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => this.accept(socket, socket.alpnProtocol === 'h2'));
    // With a listener on this event node leaves the socket open, even after a handshake
    // timeout: a client that never finishes its handshake would keep it forever.
    server.on('tlsClientError', (err, socket) => {
      socket.destroy();
      this.log.debug({ err: err.message, listener: this.settings.id }, 'TLS handshake failed');
    });
    return server;
  }

  private accept(socket: net.Socket, h2: boolean): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (h2) this.http2!.emit('connection', socket);
    else this.http1.emit('connection', socket);
  }

  private onClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: net.Socket): void {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // An earlier request's answer still on its way (pipelining): an error answer written now
    // would be read as that one's, so the connection is cut instead — unless the earlier
    // request already closes the connection (HTTP/1.0, `Connection: close`) and these bytes
    // merely came after it; the parser reads nothing more either way.
    if ((socket as { _httpMessage?: unknown })._httpMessage) {
      if (err.code !== 'HPE_CLOSED_CONNECTION') socket.destroy();
      return;
    }
    const status = clientErrorStatus(err.code, err.rawPacket, this.limits.maxUriBytes);
    const servername = (socket as tls.TLSSocket).servername;
    socket.end(clientErrorAnswer(status, this.errorHeaders(typeof servername === 'string' ? servername : undefined)));
    this.log.info({ status, code: err.code, listener: this.settings.id }, 'malformed request');
  }

  /**
   * New handshakes pick certificates through the store; this also updates the no-SNI default
   * when it changed. The session ticket keys are carried over: a new context would come with
   * new ones, and every client's TLS session would stop resuming (a full handshake each).
   */
  certificatesChanged(): void {
    if (!this.settings.tls) return;
    const fallback = this.certificates().fallback;
    if (fallback.certPem === this.servedFallback?.certPem && fallback.keyPem === this.servedFallback.keyPem) return;
    this.servedFallback = fallback;
    for (const s of this.servers) {
      if (s instanceof tls.Server) s.setSecureContext({ ...TLS_OPTIONS, cert: fallback.certPem, key: fallback.keyPem, ticketKeys: s.getTicketKeys() });
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish and closes idle connections (HTTP/2
   * sessions with GOAWAY); whatever is still open after `graceMs` is cut.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    this.stopAccepting();
    for (const session of this.sessions) session.close();
    // HTTP/1.1 answers still to come say `Connection: close`, so a keep-alive client does not
    // send its next request on a connection about to be closed.
    this.http1.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => void (res.shouldKeepAlive = false));
    for (const socket of this.sockets) {
      const res = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
      if (res && !res.headersSent) res.shouldKeepAlive = false;
    }
    const deadline = Date.now() + graceMs;
    this.http1.closeIdleConnections();
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      this.http1.closeIdleConnections();
    }
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    this.http1.closeAllConnections();
    this.guard?.stop();
  }

  urls(): string[] {
    const scheme = this.settings.tls ? 'https' : 'http';
    return this.bound.map((b) => {
      const host = b.host === '0.0.0.0' || b.host === '::' ? 'localhost' : b.host.includes(':') ? `[${b.host}]` : b.host;
      return `${scheme}://${host}:${b.port}/`;
    });
  }
}
