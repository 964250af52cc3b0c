import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { parseHost } from '../net/host.js';
import { normalizeIp } from '../net/ip.js';
import { decisionHeaders, decisionHeadersOf } from '../net/request-headers.js';
import { absoluteForm } from '../net/target.js';
import type { CompiledPolicy } from '../policy/index.js';
import { decide, isSecure, requestClient, responseHeaderList, transportOf, type Answer, type RequestFacts } from '../policy/decide.js';
import type { RateCounter } from '../policy/ratelimit/index.js';
import type { AdminApi, ApiExchange } from '../admin/api/index.js';
import type { Logger } from './log.js';
import { writeRequestLine } from './request-log.js';
import { PROBLEM_TYPE, problemBody } from '../net/problem.js';
import type { RouteSettings } from '../config/routes.js';
import { proxyRequest, type UpstreamPools } from '../routes/proxy/index.js';
import { proxyUpgrade } from '../routes/proxy/upgrade.js';
import type { ForwardingFacts } from '../routes/proxy/headers.js';
import { serveStatic } from '../routes/static/index.js';
import { pathBelow } from '../routes/table.js';
import { believesForwarded } from '../policy/forwarded/index.js';

export type Request = IncomingMessage | Http2ServerRequest;
export type Response = ServerResponse | Http2ServerResponse;

/** What the pipeline reads from the running server; replaced wholesale on reload. */
export interface LiveState {
  policy: CompiledPolicy;
  /** The port the first HTTPS listener is bound to: where plain-HTTP requests are redirected. */
  httpsPort: number;
  ready: boolean;
  /** Survives reloads, so a reload does not reset anyone's limit. */
  readonly rateCounter: RateCounter;
  /** The management API, once the store is open. */
  admin: AdminApi | undefined;
  /** Keep-alive connections to the proxy routes' upstreams; survives reloads. */
  readonly upstreams: UpstreamPools;
  /** Whether a line is logged per request (log level info or finer); set with the level. */
  logRequests: boolean;
}

export interface ListenerContext {
  readonly id: string;
  readonly tls: boolean;
}

/** One request in flight: the facts the decision reads, and what writing the answer needs. */
interface Exchange extends RequestFacts {
  readonly req: Request;
  readonly res: Response;
  readonly admin: AdminApi | undefined;
  readonly state: LiveState;
  readonly peer: string;
  readonly started: number;
  readonly log: Logger;
}

/**
 * The request pipeline: resolve the client (forwarded headers only when trusted), then let
 * `decide` (./decide.ts, shared with `parapet explain`) choose the answer, and write it.
 */
export function createRequestHandler(state: LiveState, listener: ListenerContext, log: Logger) {
  return function handle(req: Request, res: Response): void {
    if (isRefused(req.socket)) return;
    const x = exchange(req, res, state, listener, log);
    const policy = state.policy;
    try {
      decide(x, state, write);
    } catch (err) {
      log.error({ err, method: x.method, path: x.path }, 'request failed');
      if (res.headersSent) return void res.destroy();
      const base = policy.responseHeaders(transportOf(x.secure, parseHost(x.rawHost)), x.origin);
      write(x, 'route', 500, base, PROBLEM_TYPE, problemBody(500, 'internal error'), undefined, undefined);
    }
  };
}

/**
 * HTTP/1.1 requests asking to upgrade the connection. A WebSocket handshake that a proxy
 * route takes is joined to its upstream; every other answer (a refusal, a redirect, a static
 * file, the API, also any other `Upgrade` a client offers, such as h2c) is the normal one,
 * written on a response made for the handed-over connection, which then closes.
 */
export function createUpgradeHandler(state: LiveState, listener: ListenerContext, log: Logger) {
  return function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (isRefused(socket)) return void socket.end();
    // The response is made only if the answer is not a joined upgrade (see writeUpgrade).
    const x: UpgradeExchange = Object.assign(exchange(req, undefined as unknown as Response, state, listener, log), { socket, head });
    try {
      decide(x, state, writeUpgrade);
    } catch (err) {
      log.error({ err, method: x.method, path: x.path }, 'upgrade request failed');
      socket.destroy();
    }
  };
}

interface UpgradeExchange extends Exchange {
  readonly socket: Duplex;
  readonly head: Buffer;
}

const writeUpgrade: Answer<UpgradeExchange> = (x, step, status, base, type, body, extra, preflight, route, finished) => {
  const req = x.req as IncomingMessage;
  if (step === 'proxy' && route?.target.kind === 'proxy' && req.headers.upgrade?.toLowerCase() === 'websocket') {
    void proxyUpgrade(route.target, { req, socket: x.socket, head: x.head, base, manages: x.state.policy.managesResponseHeader, forwarding: forwardingOf(x) }).then((s) => logRequest(x, s, route.id));
    return;
  }
  const res = new ServerResponse(req);
  res.assignSocket(x.socket as Socket);
  res.shouldKeepAlive = false;
  res.once('finish', () => x.socket.end());
  write({ ...x, res }, step, status, base, type, body, extra, preflight, route, finished);
};

/** One request's facts for `decide` and what answering it needs (one object: this is per request). */
function exchange(req: Request, res: Response, state: LiveState, listener: ListenerContext, log: Logger): Exchange {
  const policy = state.policy;
  // HTTP/2's headers arrive as an object; HTTP/1.x's are read without building one.
  const h = req.httpVersionMajor === 2 ? decisionHeadersOf(req.headers) : decisionHeaders(req.rawHeaders);
  const peer = req.httpVersionMajor === 2 ? normalizeIp(req.socket.remoteAddress ?? '') : connectionPeer(req.socket);
  const client = requestClient(policy, peer, h);
  let url = req.url ?? '/';
  let rawHost = h.host;
  if (url.charCodeAt(0) !== 47 /* / */) {
    const absolute = absoluteForm(url);
    if (absolute) {
      url = absolute.originForm;
      rawHost = absolute.authority;
    }
  }
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'GET',
    url,
    path: q < 0 ? url : url.slice(0, q),
    rawHost,
    httpVersion: req.httpVersion,
    secure: isSecure(listener.tls, client),
    origin: h.origin,
    requestMethod: h.requestMethod,
    requestHeaders: h.requestHeaders,
    peer,
    clientIp: client?.ip ?? peer,
    listener: listener.id,
    connection: req.socket,
    rawHeaders: req.rawHeaders,
    req,
    res,
    admin: state.admin,
    state,
    started: state.logRequests ? performance.now() : 0,
    log,
  };
}

/**
 * Each HTTP/1.x connection's peer address, normalised once. `remoteAddress` is a getter that
 * reaches node's socket handle through property lookups V8 cannot specialise (every kind of
 * stream shares them); measured with callgrind, reading it cost about 480 instructions per
 * request, several times this lookup. (HTTP/2's `req.socket` is made per stream: read as is.)
 */
const peers = new WeakMap<object, string>();

function connectionPeer(socket: Socket): string {
  let peer = peers.get(socket);
  if (peer === undefined) {
    peer = normalizeIp(socket.remoteAddress ?? '');
    // A socket already closed has no address to remember.
    if (peer !== '') peers.set(socket, peer);
  }
  return peer;
}

/** Writes a decided answer in one `writeHead` call (module-level: no closure per request). */
const write: Answer<Exchange> = (x, step, status, base, type, body, extra, _preflight, route, finished) => {
  if (step === 'api') return handOverToApi(x, base);
  if (step === 'proxy' || step === 'static') return handOverToRoute(x, route!, base);
  if ((step === 'malformed-host' || step === 'uri-too-long') && x.res instanceof ServerResponse) closeAfter(x.res);
  (x.res as ServerResponse).writeHead(status, (finished ?? responseHeaderList(base, extra, type, body)) as string[]);
  if (x.method === 'HEAD' || body === '') x.res.end();
  else x.res.end(body);
  if (step === 'access-error') x.log.error({ method: x.method, path: x.path, ip: x.clientIp }, 'http.allowed-endpoint could not be evaluated; the request was denied');
  logRequest(x, status);
};

/**
 * HTTP/1.1 connections whose request was refused as malformed. Node parses every request in
 * a packet before any answer is written, so the requests pipelined behind a refused one
 * reach the handler too: they are dropped unanswered (the connection closes after the
 * refusal), so nothing sent after a malformed request is taken as another request — the
 * smuggling the refusal is there to stop (RFC 9112 §11.2).
 */
const refused = new WeakSet<object>();
/** Refused connections not yet closed: while there is none, no request pays the set lookup. */
let refusedOpen = 0;

function isRefused(socket: object): boolean {
  return refusedOpen > 0 && refused.has(socket);
}

/** Answers with `Connection: close`, closes once the answer is written, and ignores the rest. */
function closeAfter(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  const socket = res.req.socket;
  if (refused.has(socket)) return;
  refused.add(socket);
  refusedOpen++;
  socket.once('close', () => refusedOpen--);
}

function logRequest(x: Exchange, status: number, route?: string): void {
  // `started` is only taken when info lines are on.
  if (x.started === 0) return;
  const ms = Math.round((performance.now() - x.started) * 100) / 100;
  writeRequestLine(x.log, { method: x.method, path: x.path, status, ms, ip: x.clientIp, listener: x.listener, route });
}

/** What a proxied request's upstream is told about the client and how it arrived. */
function forwardingOf(x: Exchange): ForwardingFacts {
  return { peerIp: x.peer, believed: believesForwarded(x.state.policy.forwarded, x.peer), secure: x.secure, host: x.rawHost };
}

/** A hosted route answers asynchronously; its answer carries `base` like every other. */
function handOverToRoute(x: Exchange, route: RouteSettings, base: readonly string[]): void {
  const target = route.target;
  const answered =
    target.kind === 'proxy'
      ? proxyRequest(target, x.state.upstreams, {
          req: x.req,
          res: x.res,
          method: x.method,
          url: x.url,
          base,
          manages: x.state.policy.managesResponseHeader,
          forwarding: forwardingOf(x),
        })
      : serveStatic(target, { method: x.method, path: pathBelow(route, x.path), prefix: route.path === '/' ? '' : route.path, query: x.url.slice(x.path.length), headers: x.req.headers }, x.res, base);
  answered.then(
    (status) => logRequest(x, status, route.id),
    (err: unknown) => {
      x.log.error({ err, method: x.method, path: x.path, route: route.id }, 'route failed');
      if (!x.res.headersSent) write(x, 'route', 500, base, PROBLEM_TYPE, problemBody(500, 'internal error'), undefined, undefined);
      else x.res.destroy();
    },
  );
}

function handOverToApi(x: Exchange, base: readonly string[]): void {
  if (!x.admin) return write(x, 'route', 503, base, PROBLEM_TYPE, problemBody(503, 'the management API is not available'), undefined, undefined);
  const reply = (status: number, json: unknown, extra?: readonly string[]) => {
    if (x.res.headersSent || x.res.destroyed) return;
    write(x, 'route', status, base, status >= 400 ? PROBLEM_TYPE : 'application/json', JSON.stringify(json), extra, undefined);
  };
  x.admin
    .handle({ method: x.method, path: x.path, url: x.url, clientIp: x.clientIp, headers: x.req.headers, body: x.req as ApiExchange['body'], reply })
    .catch((err: unknown) => {
      x.log.error({ err, method: x.method, path: x.path }, 'management API request failed');
      reply(500, { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'internal error' });
    });
}
