// Raw TCP clients for `npm run bench:abuse`: bytes written exactly as given (no client
// library would send these requests), the answer read as it comes.
import net from 'node:net';

export interface Exchange {
  /** The status of every response read, in order. */
  readonly statuses: number[];
  /** Everything the server sent (latin1). */
  readonly text: string;
  /** Whether the server closed (or reset) the connection before the client gave up. */
  readonly closed: boolean;
  /** Whether it was a reset rather than an orderly close. */
  readonly reset: boolean;
  /** ms from connecting to the close, or to giving up. */
  readonly ms: number;
}

export interface ExchangeOptions {
  /** Give up once the server has answered something and then sent nothing for this long: it keeps the connection open. */
  readonly quietMs: number;
  /** Give up after this long in any case. */
  readonly limitMs: number;
}

/** Writes `bytes` in one write on a fresh connection; reads until the server closes it, goes quiet after answering, or `limitMs`. */
export function exchange(port: number, bytes: string, opts: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let reset = false;
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      clearTimeout(quiet);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: statusesOf(text), text, closed, reset, ms: performance.now() - started });
    };
    const limit = setTimeout(() => finish(false), opts.limitMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), opts.quietMs);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    // The server's FIN is its close: with allowHalfOpen off, node ends our side in reply.
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

/**
 * Opens a connection, writes `first`, then one byte of `drip` per `everyMs` (nothing when
 * `drip` is empty), and reads until the server closes it or `limitMs` passes.
 */
export function slowClient(port: number, first: string, drip: string, everyMs: number, limitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let reset = false;
    let i = 0;
    let ticker: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(limit);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: statusesOf(text), text, closed, reset, ms: performance.now() - started });
    };
    const limit = setTimeout(() => finish(false), limitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.once('connect', () => {
      if (first) socket.write(first);
      if (drip) ticker = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), everyMs);
    });
  });
}

/** Status lines at the start of the stream or of a line: a response body could hold one only by quoting it. */
function statusesOf(text: string): number[] {
  return [...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/** The first response's header block (lower-cased names) and body, as far as the stream holds them. */
export function firstResponse(text: string): { headers: Map<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { headers: new Map(), body: '' };
  const headers = new Map<string, string>();
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const rest = text.slice(end + 4);
  const length = Number(headers.get('content-length'));
  return { headers, body: Number.isInteger(length) && length >= 0 ? rest.slice(0, length) : rest };
}
