import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { parseHost } from '../net/host.js';
import { normalizeIp } from '../net/ip.js';
import { isPreflight } from '../policy/cors/index.js';
import { resolveClient } from '../policy/forwarded/index.js';
import { hostTakesHsts, redirectDecision } from '../policy/hsts/index.js';
import { Transport, type CompiledPolicy } from '../policy/index.js';
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
}

export interface ListenerContext {
  readonly id: string;
  readonly tls: boolean;
}

interface Exchange {
  readonly req: Request;
  readonly res: Response;
  readonly started: number;
  readonly method: string;
  readonly path: string;
  readonly clientIp: string;
  readonly listener: string;
  readonly head: boolean;
  readonly log: Logger;
}

const ROBOTS = 'User-agent: *\nDisallow: /\n';
const LIVE = '{"status":"live"}';
const READY = '{"status":"ready"}';
const ALLOW_GET = ['allow', 'GET, HEAD'];

/**
 * The request pipeline. Order matters and each step's reason is the design's:
 * resolve the client (forwarded headers only when trusted) → refuse a malformed Host →
 * redirect plain HTTP to HTTPS → answer CORS preflights (before routing and authentication:
 * browsers never send credentials on them) → route. Every response gets the compiled
 * security headers for its transport.
 */
export function createRequestHandler(state: LiveState, listener: ListenerContext, log: Logger) {
  return function handle(req: Request, res: Response): void {
    const started = performance.now();
    const policy = state.policy;
    const h = req.headers;
    const peer = normalizeIp(req.socket.remoteAddress ?? '');
    const client =
      policy.forwarded.mode === 'off'
        ? undefined
        : resolveClient(
            peer,
            { forwarded: h.forwarded, xForwardedFor: h['x-forwarded-for'] as string | undefined, xForwardedProto: h['x-forwarded-proto'] as string | undefined },
            policy.forwarded,
          );
    const secure = listener.tls || client?.forwardedProto === 'https';
    const rawHost = (h[':authority'] as string | undefined) ?? h.host;
    const host = parseHost(rawHost);
    const transport = !secure ? Transport.Plain : hostTakesHsts(host) ? Transport.Secure : Transport.SecureNoHsts;
    const origin = h.origin;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const x: Exchange = { req, res, started, method, path, clientIp: client?.ip ?? peer, listener: listener.id, head: method === 'HEAD', log };

    try {
      if (rawHost !== undefined && host === undefined) {
        return problem(x, policy.responseHeaders(transport, origin), 400, 'the Host header is malformed');
      }
      if (!secure && policy.hsts.redirect) {
        const d = redirectDecision(policy.hsts, state.httpsPort, method, path, url, host);
        if (d.kind === 'bad-host') return problem(x, policy.responseHeaders(transport, origin), 400, 'a Host header is required to redirect to HTTPS');
        if (d.kind === 'redirect') {
          return send(x, d.status, policy.responseHeaders(transport, origin), 'text/plain; charset=utf-8', `Redirecting to ${d.location}\n`, ['location', d.location]);
        }
      }
      if (policy.cors.mode !== 'off' && isPreflight(method, origin, h['access-control-request-method'] as string | undefined)) {
        const answer = policy.cors.preflight(origin!, h['access-control-request-method'] as string, h['access-control-request-headers'] as string | undefined);
        const base = policy.baseHeaders[transport];
        if (answer.status === 204) return send(x, 204, base, undefined, '', answer.headers);
        return problem(x, base, answer.status, `CORS preflight refused: ${answer.reason}`, answer.headers);
      }
      return route(x, state, policy.responseHeaders(transport, origin));
    } catch (err) {
      log.error({ err, method, path }, 'request failed');
      if (!res.headersSent) return problem(x, policy.responseHeaders(transport, origin), 500, 'internal error');
      res.destroy();
    }
  };
}

function send(x: Exchange, status: number, base: readonly string[], type: string | undefined, body: string, extra?: readonly string[]): void {
  const headers = extra ? [...base, ...extra] : [...base];
  if (type !== undefined) headers.push('content-type', type, 'content-length', String(Buffer.byteLength(body)));
  (x.res as ServerResponse).writeHead(status, headers);
  if (x.head || body === '') x.res.end();
  else x.res.end(body);
  if (x.log.isLevelEnabled('info')) {
    const ms = Math.round((performance.now() - x.started) * 100) / 100;
    x.log.info({ method: x.method, path: x.path, status, ms, ip: x.clientIp, listener: x.listener }, 'request');
  }
}

function problem(x: Exchange, base: readonly string[], status: number, detail: string, extra?: readonly string[]): void {
  send(x, status, base, PROBLEM_TYPE, problemBody(status, detail), extra);
}

function route(x: Exchange, s: LiveState, base: readonly string[]): void {
  const builtin = x.path === '/healthz/live' || x.path === '/healthz/ready' || x.path === '/robots.txt';
  if (!builtin) return problem(x, base, 404, `no resource at ${x.path.slice(0, 200)}`);
  if (x.method !== 'GET' && x.method !== 'HEAD') return problem(x, base, 405, `${x.method} is not allowed here`, ALLOW_GET);
  if (x.path === '/robots.txt') return send(x, 200, base, 'text/plain; charset=utf-8', ROBOTS);
  if (x.path === '/healthz/live') return send(x, 200, base, 'application/json', LIVE);
  if (s.ready) return send(x, 200, base, 'application/json', READY);
  return problem(x, base, 503, 'listeners are still starting');
}
