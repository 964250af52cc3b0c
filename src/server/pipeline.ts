import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { parseHost } from '../net/host.js';
import { normalizeIp } from '../net/ip.js';
import type { CompiledPolicy } from '../policy/index.js';
import { decide, isSecure, requestClient, responseHeaderList, transportOf, type Answer, type RequestFacts } from './decide.js';
import type { RateCounter } from '../policy/ratelimit/index.js';
import type { AdminApi, ApiExchange } from '../admin/api/index.js';
import type { Logger } from './log.js';
import { PROBLEM_TYPE, problemBody } from './problem.js';

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
  readonly started: number;
  readonly log: Logger;
}

/**
 * The request pipeline: resolve the client (forwarded headers only when trusted), then let
 * `decide` (./decide.ts, shared with `parapet explain`) choose the answer, and write it.
 */
export function createRequestHandler(state: LiveState, listener: ListenerContext, log: Logger) {
  return function handle(req: Request, res: Response): void {
    const started = log.isLevelEnabled('info') ? performance.now() : 0;
    const policy = state.policy;
    const h = req.headers;
    const peer = normalizeIp(req.socket.remoteAddress ?? '');
    const client = requestClient(policy, peer, h);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const x: Exchange = {
      method: req.method ?? 'GET',
      url,
      path: q < 0 ? url : url.slice(0, q),
      rawHost: (h[':authority'] as string | undefined) ?? h.host,
      secure: isSecure(listener.tls, client),
      origin: h.origin,
      requestMethod: h['access-control-request-method'] as string | undefined,
      requestHeaders: h['access-control-request-headers'] as string | undefined,
      req,
      res,
      admin: state.admin,
      started,
      clientIp: client?.ip ?? peer,
      listener: listener.id,
      connection: req.socket,
      rawHeaders: req.rawHeaders,
      log,
    };
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

/** Writes a decided answer in one `writeHead` call (module-level: no closure per request). */
const write: Answer<Exchange> = (x, step, status, base, type, body, extra) => {
  if (step === 'api') return handOverToApi(x, base);
  (x.res as ServerResponse).writeHead(status, responseHeaderList(base, extra, type, body));
  if (x.method === 'HEAD' || body === '') x.res.end();
  else x.res.end(body);
  if (step === 'access-error') x.log.error({ method: x.method, path: x.path, ip: x.clientIp }, 'http.allowed-endpoint could not be evaluated; the request was denied');
  if (x.log.isLevelEnabled('info')) {
    const ms = Math.round((performance.now() - x.started) * 100) / 100;
    x.log.info({ method: x.method, path: x.path, status, ms, ip: x.clientIp, listener: x.listener }, 'request');
  }
};

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
