// Raw HTTP/2 (RFC 9113) over TLS with ALPN h2, for sending what no HTTP/2 client library
// will: streams reset as soon as they open, header blocks that never end, more streams than
// the server allows. Frames are written as given and every frame the server sends is kept.
import tls from 'node:tls';

export const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8, CONTINUATION: 0x9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
/** RFC 9113 §7 error codes the tests look for. */
export const ERROR = { NO_ERROR: 0x0, PROTOCOL_ERROR: 0x1, CANCEL: 0x8, REFUSED_STREAM: 0x7, ENHANCE_YOUR_CALM: 0xb } as const;
/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const SETTING = { MAX_CONCURRENT_STREAMS: 0x3, INITIAL_WINDOW_SIZE: 0x4, MAX_HEADER_LIST_SIZE: 0x6 } as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export const settings = (values: readonly (readonly [number, number])[] = []): Buffer => {
  const payload = Buffer.alloc(values.length * 6);
  values.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
};
export const settingsAck = (): Buffer => frame(FRAME.SETTINGS, FLAG.ACK, 0);

export function rstStream(streamId: number, code: number = ERROR.CANCEL): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); the first byte's high bits are `mask`. */
function hpackInteger(value: number, prefixBits: number, mask: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const out = [mask | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/**
 * A header block of literal fields without indexing, new names, no Huffman (RFC 7541
 * §6.2.2): every byte of every name and value is on the wire, and the server's table is untouched.
 */
export function hpack(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInteger(n.length, 7, 0), n, hpackInteger(v.length, 7, 0), v);
  }
  return Buffer.concat(parts);
}

export const requestBlock = (path: string, authority = 'localhost', extra: readonly (readonly [string, string])[] = []): Buffer =>
  hpack([[':method', 'GET'], [':scheme', 'https'], [':path', path], [':authority', authority], ...extra]);

/** A complete GET: one HEADERS frame with END_HEADERS and END_STREAM. */
export const getRequest = (streamId: number, path: string, authority?: string): Buffer =>
  frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, streamId, requestBlock(path, authority));

export interface ReceivedFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

export interface RawH2 {
  readonly socket: tls.TLSSocket;
  /** Every frame received so far, in order. */
  readonly frames: ReceivedFrame[];
  /** Resolves when the server closed the connection (or it errored). */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** Writes bytes; false when the connection is already gone. */
  send(bytes: Buffer): boolean;
  /** Resolves with the first received frame that matches, or undefined after `ms`. */
  waitFor(match: (f: ReceivedFrame) => boolean, ms: number): Promise<ReceivedFrame | undefined>;
  goaway(): { lastStreamId: number; code: number } | undefined;
  /** The peer's SETTINGS values (from its first non-ACK SETTINGS frame). */
  serverSettings(): Map<number, number>;
  destroy(): void;
}

/**
 * Connects with ALPN h2 and sends the client preface and an empty SETTINGS (unless
 * `preface: false`). Server SETTINGS are acknowledged as they arrive, like a real client
 * (not without the preface: nothing may come before it).
 */
export function connectH2(port: number, opts: { preface?: boolean; settings?: readonly (readonly [number, number])[] } = {}): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], rejectUnauthorized: false });
    const frames: ReceivedFrame[] = [];
    const waiters = new Set<() => void>();
    let buffered: Buffer = Buffer.alloc(0);
    let closed = false;
    const closedPromise = new Promise<void>((done) => {
      socket.once('close', () => {
        closed = true;
        for (const w of waiters) w();
        done();
      });
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const f: ReceivedFrame = { type: buffered[3]!, flags: buffered[4]!, streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) };
        buffered = buffered.subarray(9 + length);
        frames.push(f);
        if (f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK) && opts.preface !== false && !socket.destroyed) socket.write(settingsAck());
        for (const w of waiters) w();
      }
    });
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        return reject(new Error(`ALPN chose ${String(socket.alpnProtocol)}, not h2`));
      }
      if (opts.preface !== false) socket.write(Buffer.concat([PREFACE, settings(opts.settings ?? [])]));
      resolve(raw);
    });
    socket.once('error', reject);
    const raw: RawH2 = {
      socket,
      frames,
      closed: closedPromise,
      isClosed: () => closed,
      send: (bytes) => !closed && !socket.destroyed && socket.write(bytes) !== undefined,
      waitFor: (match, ms) =>
        new Promise((done) => {
          const check = () => {
            const found = frames.find(match);
            if (found || closed) {
              clearTimeout(timer);
              waiters.delete(check);
              done(found);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            done(frames.find(match));
          }, ms);
          waiters.add(check);
          check();
        }),
      goaway: () => {
        const g = frames.find((f) => f.type === FRAME.GOAWAY);
        return g ? { lastStreamId: g.payload.readUInt32BE(0) & 0x7fffffff, code: g.payload.readUInt32BE(4) } : undefined;
      },
      serverSettings: () => {
        const out = new Map<number, number>();
        const s = frames.find((f) => f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK));
        for (let i = 0; s && i + 6 <= s.payload.length; i += 6) out.set(s.payload.readUInt16BE(i), s.payload.readUInt32BE(i + 2));
        return out;
      },
      destroy: () => socket.destroy(),
    };
  });
}
