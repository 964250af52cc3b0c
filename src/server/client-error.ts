// Answers to the HTTP/1.1 requests node's parser refuses (llhttp, strict: its 'clientError'
// event): a status per parser error, and the whole answer, built once per status. The
// answer always closes the connection: after a framing error nothing that follows on it can
// be trusted to start a request (RFC 9112 §11.2), and the parser will not read on anyway.
import { STATUS_CODES } from 'node:http';
import { PROBLEM_TYPE, problemBody } from '../net/problem.js';

const DETAILS: Readonly<Record<number, string>> = {
  400: 'the request is not valid HTTP/1.1',
  408: 'the request headers did not arrive within http.timeout.headers',
  413: 'the chunk extensions are too large',
  414: 'the request target is longer than http.limits.uri-size',
  431: 'the request headers are larger than http.limits.header-size',
};

const answers = new WeakMap<readonly string[], Map<number, Buffer>>();

/**
 * The bytes sent for a refused request: status line, `headers` (the policy's, as flat
 * pairs), problem+json, `Connection: close`. Built once per status and header list.
 */
export function clientErrorAnswer(status: number, headers: readonly string[]): Buffer {
  let byStatus = answers.get(headers);
  if (!byStatus) answers.set(headers, (byStatus = new Map()));
  let bytes = byStatus.get(status);
  if (!bytes) {
    const body = problemBody(status, DETAILS[status]);
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`;
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    head += `Content-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    byStatus.set(status, (bytes = Buffer.from(head + body, 'latin1')));
  }
  return bytes;
}

/** The status for a parser error; `packet` is the error's `rawPacket` (the bytes being parsed). */
export function clientErrorStatus(code: string | undefined, packet: unknown, maxUriBytes: number): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestTargetLength(packet) > maxUriBytes ? 414 : 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/**
 * Node counts the request line into `maxHeaderSize`, so a target longer than
 * `http.limits.header-size` overflows the parser before the pipeline can answer 414. When
 * the packet the parser choked on starts with a request line (`METHOD SP target`), this is
 * the target's length as far as the packet goes; otherwise 0 (the headers overflowed).
 */
function requestTargetLength(packet: unknown): number {
  if (!Buffer.isBuffer(packet)) return 0;
  let i = 0;
  while (i < packet.length && i < 24 && packet[i]! >= 0x41 && packet[i]! <= 0x5a) i++;
  if (i === 0 || packet[i] !== 0x20) return 0;
  const start = i + 1;
  let end = start;
  while (end < packet.length && packet[end] !== 0x20 && packet[end] !== 0x0d && packet[end] !== 0x0a) end++;
  return end - start;
}
