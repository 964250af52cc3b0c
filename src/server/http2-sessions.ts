// HTTP/2 sessions a client cannot keep for nothing. nghttp2 (inside node) already refuses
// what breaks the protocol outright: streams past the advertised limit, a header block of
// more than 8 CONTINUATION frames (CVE-2024-27316), RST_STREAM floods past 1000 at once
// (CVE-2023-44487). What it cannot see is time and waste, and that is watched here:
// - a session with no stream open (none yet, or none since the last one finished) is closed
//   with GOAWAY after `http.timeout.headers` (before its first request) or
//   `http.timeout.keep-alive` (after one), as HTTP/1.1 connections are: this also ends a
//   missing or partial preface and a header block that never completes;
// - a session whose streams the client keeps cancelling, or whose requests never reach the
//   handler (header lists over the limit are refused by node one stream at a time, without
//   telling JavaScript), is cut with GOAWAY ENHANCE_YOUR_CALM.
import http2 from 'node:http2';
import type { LimitSettings } from '../config/settings.js';
import { PROBLEM_TYPE, problemBody } from '../net/problem.js';

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } = http2.constants;

/** SETTINGS_MAX_CONCURRENT_STREAMS advertised to every client (nginx and Go use 128 and 250). */
export const MAX_CONCURRENT_STREAMS = 128;
/** Streams a client may cancel in a burst, and then per second: browsers cancel a few. */
const RESET_BURST = 100;
const RESETS_PER_SECOND = 20;
/** Streams opened that never reached the handler (refused header lists) before the cut. */
const MAX_UNSERVED_STREAMS = 16;
/** How often the sessions are checked for unserved streams, which raise no event. */
const CHECK_EVERY_MS = 250;
/** A session asked to close (GOAWAY) that is still open after this is destroyed. */
const CLOSE_GRACE_MS = 2000;

export function http2Options(limits: LimitSettings): http2.ServerOptions {
  return {
    maxHeaderListPairs: 256,
    // node's own counters, cut at lower numbers than its defaults (1000 and 100).
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 50,
    settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS, maxHeaderListSize: limits.maxHeaderBytes },
  };
}

interface Watched {
  /** Streams that reached the handler. */
  served: number;
  open: number;
  /** Cancellations the client may still make (a token bucket). */
  resetTokens: number;
  resetRefilledAt: number;
  idle: NodeJS.Timeout | undefined;
}

export class SessionGuard {
  private readonly watched = new Map<http2.ServerHttp2Session, Watched>();
  private readonly checker: NodeJS.Timeout;

  constructor(
    private readonly limits: () => LimitSettings,
    /** Told of each session closed here; `abusive` when it was cut rather than idle. */
    private readonly onCut: (reason: string, abusive: boolean) => void,
  ) {
    this.checker = setInterval(() => this.checkUnserved(), CHECK_EVERY_MS).unref();
  }

  watch(session: http2.ServerHttp2Session): void {
    const w: Watched = { served: 0, open: 0, resetTokens: RESET_BURST, resetRefilledAt: Date.now(), idle: undefined };
    this.watched.set(session, w);
    this.idleAfter(session, w, this.limits().headersTimeoutMs);
    session.on('stream', (stream: http2.ServerHttp2Stream) => {
      w.served++;
      w.open++;
      clearTimeout(w.idle);
      stream.once('close', () => {
        // Cancelled by the client (or cut here, which is rare and counts the same).
        if (stream.aborted || stream.rstCode !== NGHTTP2_NO_ERROR) this.onReset(session, w);
        if (--w.open === 0 && !session.closed) this.idleAfter(session, w, this.limits().keepAliveTimeoutMs);
      });
    });
    session.once('close', () => {
      clearTimeout(w.idle);
      this.watched.delete(session);
    });
  }

  stop(): void {
    clearInterval(this.checker);
    for (const w of this.watched.values()) clearTimeout(w.idle);
  }

  private idleAfter(session: http2.ServerHttp2Session, w: Watched, ms: number): void {
    clearTimeout(w.idle);
    w.idle = setTimeout(() => {
      if (w.open > 0 || session.destroyed) return;
      this.onCut('idle', false);
      closePolitely(session);
    }, ms);
    w.idle.unref();
  }

  private onReset(session: http2.ServerHttp2Session, w: Watched): void {
    const now = Date.now();
    w.resetTokens = Math.min(RESET_BURST, w.resetTokens + ((now - w.resetRefilledAt) / 1000) * RESETS_PER_SECOND);
    w.resetRefilledAt = now;
    if (--w.resetTokens >= 0 || session.destroyed) return;
    this.cut(session, 'too many cancelled streams');
  }

  private cut(session: http2.ServerHttp2Session, reason: string): void {
    this.onCut(reason, true);
    // Not destroy(undefined, code): the undefined error defaults to NO_ERROR, which wins.
    session.destroy(new Error(reason), NGHTTP2_ENHANCE_YOUR_CALM);
  }

  private checkUnserved(): void {
    for (const [session, w] of this.watched) {
      if (session.destroyed) continue;
      // Client stream ids are odd and increasing: the last one processed tells how many opened.
      const opened = ((session.state.lastProcStreamID ?? 0) + 1) / 2;
      if (opened - w.served <= MAX_UNSERVED_STREAMS) continue;
      this.cut(session, 'too many requests refused before the handler');
    }
  }
}

/** GOAWAY, let open streams finish, then the connection closes; destroyed if it lingers. */
export function closePolitely(session: http2.ServerHttp2Session): void {
  if (session.destroyed) return;
  if (!session.closed) session.close();
  setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
}

/**
 * `http.timeout.request` for an HTTP/2 request: node bounds only HTTP/1.1 requests by it. A
 * request whose body has not fully arrived in time is answered 408 (or its stream cut when an
 * answer has begun), so a client trickling a body cannot hold a stream, or an upstream, forever.
 */
export function boundRequestTime(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, timeoutMs: number, headers: readonly string[]): void {
  if (req.stream.endAfterHeaders || req.complete) return;
  const timer = setTimeout(() => {
    if (req.complete || res.stream.destroyed) return;
    if (res.headersSent) return void res.stream.close(http2.constants.NGHTTP2_CANCEL);
    const body = problemBody(408, 'the request body did not arrive within http.timeout.request');
    res.writeHead(408, [...headers, 'content-type', PROBLEM_TYPE, 'content-length', String(Buffer.byteLength(body))] as unknown as http2.OutgoingHttpHeaders);
    res.end(body);
    // The rest of the body is not wanted.
    res.stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }, timeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  res.once('close', clear);
}
