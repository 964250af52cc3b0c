import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Dispatcher } from 'undici';
import type { ProxyTarget } from '../../config/routes.js';
import { PROBLEM_TYPE, problemBody } from '../../net/problem.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type ForwardingFacts } from './headers.js';
import type { UpstreamPools } from './pools.js';

export { UpstreamPools } from './pools.js';

/** One request to pass on. */
export interface ProxiedRequest {
  readonly req: IncomingMessage | Http2ServerRequest;
  readonly res: ServerResponse | Http2ServerResponse;
  readonly method: string;
  /** The request target as received (path and query): the upstream sees the same. */
  readonly url: string;
  readonly forwarding: ForwardingFacts;
  /** The policy's security headers (flat pairs), sent with every answer. */
  readonly base: readonly string[];
  /** Whether Parapet sets this response header itself (the upstream's copy is dropped). */
  readonly manages: (name: string) => boolean;
}

/**
 * Passes a request to a proxy route's upstream and streams the answer back, both bodies
 * with backpressure (nothing is buffered whole). Resolves to the status the client got; an
 * upstream that cannot be reached or does not answer in time gives 502 or 504.
 */
export function proxyRequest(target: ProxyTarget, pools: UpstreamPools, p: ProxiedRequest): Promise<number> {
  return new Promise((resolve) => {
    const headers = upstreamRequestHeaders(p.req.rawHeaders, p.forwarding, { preserveHost: target.preserveHost, upstreamHost: target.upstream.host });
    const options: Dispatcher.DispatchOptions = {
      origin: target.upstream.origin,
      path: p.url,
      method: p.method,
      headers,
      body: hasBody(p.req) ? (p.req as NodeJS.ReadableStream as import('node:stream').Readable) : null,
      headersTimeout: target.responseTimeoutMs,
      bodyTimeout: target.idleTimeoutMs,
    };
    const relay = new ResponseRelay(p, resolve);
    const dispatch = () => {
      if (relay.clientGone) return resolve(499);
      pools.for(target).dispatch(options, relay);
    };
    // An HTTP/2 stream can be opened and reset in one read (the rapid-reset flood,
    // CVE-2023-44487); its close event comes after this handler. Waiting for the events of
    // that read lets a stream already cancelled cost the upstream nothing.
    if ('stream' in p.req) setImmediate(dispatch);
    else dispatch();
  });
}

/** Carries one upstream response to the client, as undici's dispatch handler. */
class ResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  /** Whether the answer was ended (or cut) here: a close after it is not the client leaving. */
  private ended = false;
  clientGone = false;

  constructor(
    private readonly p: ProxiedRequest,
    private readonly done: (status: number) => void,
  ) {
    // Not `writableFinished`: on HTTP/2 it is true for a stream the client reset.
    p.res.once('close', () => {
      if (this.ended) return;
      this.clientGone = true;
      this.controller?.abort(new Error('the client went away'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new Error('the client went away'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    const res = this.p.res as ServerResponse;
    res.writeHead(statusCode, [...this.p.base, ...downstreamResponseHeaders(headers, this.p.manages)]);
    res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    if (!(this.p.res as ServerResponse).write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.ended = true;
    if (!this.clientGone) this.p.res.end();
    this.done(this.status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.ended = true;
    const res = this.p.res;
    if (this.clientGone || res.headersSent) {
      // Too late for an error page: cut the response so the client sees it incomplete.
      res.destroy();
      return this.done(this.clientGone ? 499 : this.status);
    }
    const { status, detail } = upstreamFailure(err);
    const body = problemBody(status, detail);
    (res as ServerResponse).writeHead(status, [...this.p.base, 'content-type', PROBLEM_TYPE, 'content-length', String(Buffer.byteLength(body))]);
    if (this.p.method === 'HEAD') res.end();
    else res.end(body);
    this.done(status);
  }
}

/** 504 when the upstream was too slow, 502 when it could not be reached or broke off. */
export function upstreamFailure(err: Error): { status: 502 | 504; detail: string } {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { status: 504, detail: 'the upstream did not accept the connection in time' };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { status: 504, detail: 'the upstream did not answer in time' };
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    return { status: 502, detail: 'the upstream could not be reached' };
  }
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')) {
    return { status: 502, detail: "the upstream's TLS certificate was not accepted" };
  }
  return { status: 502, detail: 'the upstream failed to answer' };
}

/** Whether the request has a body to pass on (HTTP/1.1 framing, or an HTTP/2 stream left open). */
function hasBody(req: IncomingMessage | Http2ServerRequest): boolean {
  if ('stream' in req) return !req.stream.endAfterHeaders;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
