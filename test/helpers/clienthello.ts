// A hand-built TLS 1.2 ClientHello, for offering cipher suites no local TLS library will
// offer any more (the OpenSSL 3 builds here have no 3DES or RC4 suites at all), and reading
// what the server answers: a ServerHello naming the suite it chose, or an alert.
import net from 'node:net';

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);

/** RFC 5246 §7.4.1.2 ClientHello offering exactly `suites`, with what ECDHE and SNI need. */
export function clientHello(suites: readonly number[], servername: string): Buffer {
  const name = Buffer.from(servername, 'ascii');
  const extensions = Buffer.concat([
    ext(0x0000, vec16(Buffer.concat([Buffer.from([0]), vec16(name)]))), // server_name (RFC 6066 §3)
    ext(0x000a, vec16(Buffer.concat([0x001d, 0x0017, 0x0018].map(u16)))), // supported_groups: x25519, P-256, P-384
    ext(0x000b, Buffer.from([1, 0])), // ec_point_formats: uncompressed
    ext(0x000d, vec16(Buffer.concat([0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501].map(u16)))), // signature_algorithms
    ext(0xff01, Buffer.from([0])), // renegotiation_info (RFC 5746), empty on a first handshake
  ]);
  const body = Buffer.concat([
    u16(0x0303), // TLS 1.2
    Buffer.alloc(32, 0x5a), // random: any bytes do for a hello that never completes
    Buffer.from([0]), // no session id
    vec16(Buffer.concat(suites.map(u16))),
    Buffer.from([1, 0]), // compression: null only
    vec16(extensions),
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(handshake.length), handshake]);
}

export type HelloAnswer =
  | { readonly kind: 'server-hello'; readonly version: number; readonly suite: number }
  | { readonly kind: 'alert'; readonly level: number; readonly description: number }
  | { readonly kind: 'closed'; readonly bytes: number };

/** Sends the hello and reads the first record of the answer (bounded by `ms`). */
export function sendClientHello(port: number, hello: Buffer, ms = 5000): Promise<HelloAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(hello));
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (a: HelloAnswer | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (a instanceof Error) reject(a);
      else resolve(a);
    };
    const timer = setTimeout(() => finish(new Error(`no TLS answer within ${ms} ms`)), ms);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 5) return;
      const type = buf[0]!;
      const length = buf.readUInt16BE(3);
      if (buf.length < 5 + length) return;
      const record = buf.subarray(5, 5 + length);
      if (type === 0x15 && length >= 2) return finish({ kind: 'alert', level: record[0]!, description: record[1]! });
      if (type === 0x16 && record[0] === 0x02) {
        // ServerHello: type(1) length(3) version(2) random(32) session_id(1+n) cipher_suite(2)
        const sidLength = record[38]!;
        return finish({ kind: 'server-hello', version: record.readUInt16BE(4), suite: record.readUInt16BE(39 + sidLength) });
      }
      finish(new Error(`unexpected TLS record type ${type}`));
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish({ kind: 'closed', bytes: buf.length }));
  });
}

export const ALERT_HANDSHAKE_FAILURE = 40;
