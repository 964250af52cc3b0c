// The cases `npm run bench:abuse` sends to Parapet and to nginx alike: the malformed and
// smuggling requests of test/hardening-requests.test.ts (same bytes, shorter names), an
// absolute-form request target, a positive control, and two slow clients as in
// test/hardening-clients.test.ts. Every path carries a tag naming the server and the case
// (`/p07/…`, `/n07/…`: the same length for both servers, so sizes match), so the recording
// upstream can tell whose request it got.

export const HOST = 'app.example.test';

/** A complete, well-formed request: what a desynchronised parser would take as the next one. */
export const smuggled = (tag: string): string => `GET /${tag}/smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

/** Sent on a fresh connection after each case: once it is answered, whatever the case let through has reached the upstream. */
export const sentinel = (tag: string): string => `GET /${tag}/sentinel HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;

/** Bytes written in one write on a fresh connection; the answer is read until the server closes it or goes quiet. */
export interface RequestCase {
  readonly kind: 'request';
  readonly id: string;
  readonly name: string;
  /** A well-formed case both servers should serve, pipelined request included: shows the detection works. */
  readonly control?: boolean;
  bytes(tag: string): string;
}

/** A client that never finishes its request headers: `first`, then one byte of `drip` per second (none when empty). */
export interface SlowCase {
  readonly kind: 'slow';
  readonly id: string;
  readonly name: string;
  first(tag: string): string;
  readonly drip: string;
}

export type AbuseCase = RequestCase | SlowCase;

const hex = (s: string): string => Buffer.byteLength(s, 'latin1').toString(16);
const BIG_HEADER = 'a'.repeat(17_000);

/** [name, request] pairs; ids are numbered in this order. */
const REQUESTS: [string, (t: string) => string][] = [
  ['CL.TE: Content-Length covers the next request', (t) => {
    const body = `0\r\n\r\n${smuggled(t)}`;
    return `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
  }],
  ['TE.CL: Content-Length 4, a chunk holds the next request', (t) =>
    `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${hex(smuggled(t))}\r\n${smuggled(t)}\r\n0\r\n\r\n`],
  ['Transfer-Encoding then Content-Length: 0', (t) =>
    `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n${smuggled(t)}`],
  ['two Content-Length, 5 and 50', (t) => `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello${smuggled(t)}`],
  ['two equal Content-Length', (t) => `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${smuggled(t)}`],
  ['Content-Length list `5, 50`', (t) => `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5, 50\r\n\r\nhello${smuggled(t)}`],
  ['obs-fold of Transfer-Encoding', (t) => `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${smuggled(t)}`],
  ['obs-fold of TE after Content-Length', (t) =>
    `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\nhello${smuggled(t)}`],
  ['obs-fold of any header', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nX-Note: a\r\n\tb\r\n\r\n${smuggled(t)}`],
  ['bare LF line ends throughout', (t) => `GET /${t}/x HTTP/1.1\nHost: ${HOST}\n\n${smuggled(t)}`],
  ['bare LF after the request line', (t) => `GET /${t}/x HTTP/1.1\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['bare LF after a header', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\nX-A: b\r\n\r\n${smuggled(t)}`],
  ['bare LF ending the header block', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\n\n${smuggled(t)}`],
  ['bare CR inside the header block', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\rX-A: b\r\n\r\n${smuggled(t)}`],
  ['NUL in the path', (t) => `GET /${t}/x\0y HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['0x01 in the path', (t) => `GET /${t}/x\x01y HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['ESC (0x1b) in the path', (t) => `GET /${t}/x\x1b[2Jy HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['DEL (0x7f) in the path', (t) => `GET /${t}/x\x7fy HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['NUL in a header value', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nX-A: b\0c\r\n\r\n${smuggled(t)}`],
  ['header block over 16 KiB (one 17 KB header)', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${BIG_HEADER}\r\n\r\n${smuggled(t)}`],
  ['URI of 9 KB', (t) => `GET /${t}/${'u'.repeat(9000)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['URI of 20 KB', (t) => `GET /${t}/${'u'.repeat(20_000)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['no Host', (t) => `GET /${t}/x HTTP/1.1\r\n\r\n${smuggled(t)}`],
  ['Host `a b`', (t) => `GET /${t}/x HTTP/1.1\r\nHost: a b\r\n\r\n${smuggled(t)}`],
  ['Host `exa mple`', (t) => `GET /${t}/x HTTP/1.1\r\nHost: exa mple\r\n\r\n${smuggled(t)}`],
  ['Host `host:99999`', (t) => `GET /${t}/x HTTP/1.1\r\nHost: host:99999\r\n\r\n${smuggled(t)}`],
  ['Host `[::1`', (t) => `GET /${t}/x HTTP/1.1\r\nHost: [::1\r\n\r\n${smuggled(t)}`],
  ['empty Host', (t) => `GET /${t}/x HTTP/1.1\r\nHost:\r\n\r\n${smuggled(t)}`],
  ['two Host headers', (t) => `GET /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.example.test\r\n\r\n${smuggled(t)}`],
  ['two equal Host headers', (t) => `GET /${t}/x HTTP/1.1\r\nhost: ${HOST}\r\nHOST: ${HOST}\r\n\r\n${smuggled(t)}`],
  ['two Host headers on a POST with a body', (t) =>
    `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nHost: evil.example.test\r\n\r\nhello${smuggled(t)}`],
  ['absolute-form target `http://other.example/…`', (t) => `GET http://other.example/${t}/x HTTP/1.1\r\nHost: ${HOST}\r\n\r\n${smuggled(t)}`],
];

const CONTROL: [string, (t: string) => string] = [
  'control: well-formed chunked POST + pipelined GET',
  (t) => `POST /${t}/x HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${smuggled(t)}`,
];

const id = (n: number): string => String(n).padStart(2, '0');

export const CASES: readonly AbuseCase[] = [
  ...REQUESTS.map(([name, bytes], i): RequestCase => ({ kind: 'request', id: id(i + 1), name, bytes })),
  { kind: 'request', id: id(REQUESTS.length + 1), name: CONTROL[0], bytes: CONTROL[1], control: true },
  {
    kind: 'slow',
    id: id(REQUESTS.length + 2),
    name: 'slowloris: one header byte per second',
    first: (t) => `GET /${t}/slow HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: `,
    drip: 'abcdefghijklmnopqrstuvwxyz',
  },
  { kind: 'slow', id: id(REQUESTS.length + 3), name: 'silent: connects, sends nothing', first: () => '', drip: '' },
];
