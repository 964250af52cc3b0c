// A static route: files from one directory, with validators, ranges and precompressed
// variants. The decisions are pure and live beside this file (resolve.ts for paths,
// conditional.ts for validators, negotiate.ts for Accept-Encoding and Accept); this file does
// the I/O and writes each answer in one `writeHead` call.
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { extname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentType } from 'mime-types';
import parseRange from 'range-parser';
import type { StaticTarget } from '../../config/routes.js';
import { PROBLEM_TYPE, problemBody } from '../../net/problem.js';
import { entityTag, evaluatePreconditions, httpDate, ifRangeHolds, type Validators } from './conditional.js';
import { asksForHtml, chooseCoding, type Coding } from './negotiate.js';
import { decodePath, directoryLocation, isHidden, segmentsInside } from './resolve.js';

/** What serving a file reads from the request. */
export interface StaticRequest {
  readonly method: string;
  /** The request path below the route's prefix, still percent-encoded: `''` or starting with `/`. */
  readonly path: string;
  /** The route's prefix as the client sees it (`/site`, or `''` for `/`): for redirects. */
  readonly prefix: string;
  /** The query string with its `?`, or `''`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
}

const ALLOW = 'GET, HEAD, OPTIONS';

/**
 * The final component is opened without following a symlink (realpath has already resolved
 * every link, so one appearing now was swapped in since), and without blocking: opening a FIFO
 * for reading would otherwise wait for a writer forever. fstat then refuses anything that is
 * not a regular file.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Answers a request from a static route's directory. Every response carries `base` (the
 * policy's security headers, flat name/value pairs). Resolves to the status sent.
 */
export async function serveStatic(
  target: StaticTarget,
  req: StaticRequest,
  res: ServerResponse | Http2ServerResponse,
  base: readonly string[],
): Promise<number> {
  // node:http's and the HTTP/2 compatibility response both take a flat header array.
  const out = res as ServerResponse;
  try {
    return await answer(target, req, out, base);
  } catch {
    // An fs error nobody expects (EIO, EMFILE…). Nothing about it goes to the client.
    if (out.headersSent) {
      out.destroy();
      return out.statusCode;
    }
    return sendProblem(out, req, base, 500, 'the file could not be read');
  }
}

type Found =
  | { readonly kind: 'file' | 'directory'; readonly path: string }
  /** `missing` may be answered by the fallback; `refused` (outside the root, hidden) never is. */
  | { readonly kind: 'missing' | 'refused' | 'forbidden' };

const MISSING: Found = { kind: 'missing' };

async function answer(target: StaticTarget, req: StaticRequest, out: ServerResponse, base: readonly string[]): Promise<number> {
  const { method } = req;
  if (method === 'OPTIONS') return sendEmpty(out, base, 204, ['allow', ALLOW]);
  if (method !== 'GET' && method !== 'HEAD') {
    return sendProblem(out, req, base, 405, `a static route answers ${ALLOW}, not ${method}`, ['allow', ALLOW]);
  }
  const decoded = decodePath(req.path);
  if (!decoded.ok) return sendProblem(out, req, base, decoded.status, decoded.detail);

  // Resolved on every request, not once: deployments often swap a symlinked root
  // (`current -> releases/42`) and expect the next request to see the new release.
  const root = await realpath(target.root);
  let found = await find(root, join(root, ...decoded.segments), false);
  // index.html and the fallback are the pages that name the other assets: always revalidated.
  let revalidate = false;
  if (found.kind === 'directory') {
    if (!decoded.trailingSlash) {
      return sendEmpty(out, base, 301, ['location', directoryLocation(req.prefix, decoded.segments, req.query), 'content-length', '0']);
    }
    // No directory listings: a directory is served through its index.html or not at all. Its
    // existence is not an unknown path, so the fallback does not stand in for it either.
    found = await find(root, join(found.path, 'index.html'), false);
    if (found.kind === 'directory' || found.kind === 'missing') return sendProblem(out, req, base, 404, 'no index.html here, and directories are not listed');
    revalidate = true;
  } else if (found.kind === 'file' && decoded.trailingSlash) {
    found = MISSING; // `/style.css/`: a file is not a directory
  }
  if (found.kind === 'missing' && target.fallback !== undefined && fallbackApplies(decoded.segments, decoded.trailingSlash, req.headers.accept)) {
    found = await find(root, resolve(root, target.fallback), true);
    revalidate = true;
  }
  if (found.kind === 'forbidden') return sendProblem(out, req, base, 403, 'the file is not readable');
  if (found.kind !== 'file') return sendProblem(out, req, base, 404, 'no such file');
  return sendFile(found.path, revalidate, req, out, base);
}

/**
 * A single-page app's routes have no extension (`/app/settings`) and browsers navigating to
 * them ask for `text/html`; a missing `/app.js` or `/logo.png` must stay a 404, or a broken
 * asset would arrive as HTML.
 */
function fallbackApplies(segments: readonly string[], trailingSlash: boolean, accept: string | undefined): boolean {
  const last = trailingSlash ? '' : (segments[segments.length - 1] ?? '');
  return extname(last) === '' || asksForHtml(accept);
}

/**
 * Resolves every symlink, then requires the result to stay inside the real root: a link to
 * `/etc` is as absent as a missing file. A dotfile reached through a link stays hidden too,
 * except for the operator's own fallback file.
 */
async function find(root: string, candidate: string, allowHidden: boolean): Promise<Found> {
  try {
    const real = await realpath(candidate);
    const inside = segmentsInside(root, real);
    if (inside === undefined || (!allowHidden && isHidden(inside))) return { kind: 'refused' };
    const s = await stat(real);
    if (s.isDirectory()) return { kind: 'directory', path: real };
    return s.isFile() ? { kind: 'file', path: real } : { kind: 'refused' };
  } catch (err) {
    return absent(err);
  }
}

/** The fs errors that mean "not there" or "not yours"; anything else is rethrown. */
function absent(err: unknown): Found {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return MISSING;
  if (code === 'ELOOP') return { kind: 'refused' };
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'forbidden' };
  throw err;
}

interface Opened {
  readonly handle: FileHandle;
  readonly stat: BigIntStats;
}

/** Opens a regular file; its fstat, not an earlier stat, describes the bytes that will be sent. */
async function openRegular(path: string): Promise<Opened | Found> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    return absent(err);
  }
  try {
    const s = await handle.stat({ bigint: true });
    if (s.isFile()) return { handle, stat: s };
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  return { kind: 'refused' };
}

/** A precompressed sibling counts only as a regular file of its own, never through a link. */
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

const SUFFIX: Record<Coding, string> = { br: '.br', gzip: '.gz' };

async function sendFile(path: string, revalidate: boolean, req: StaticRequest, out: ServerResponse, base: readonly string[]): Promise<number> {
  const [br, gzip] = await Promise.all([isRegularFile(`${path}.br`), isRegularFile(`${path}.gz`)]);
  let coding = chooseCoding(req.headers['accept-encoding'], { br, gzip });
  let opened = coding ? await openRegular(`${path}${SUFFIX[coding]}`) : undefined;
  if (opened === undefined || !('handle' in opened)) {
    coding = undefined; // no variant, or it vanished since lstat: the file itself
    opened = await openRegular(path);
  }
  if (!('handle' in opened)) {
    return opened.kind === 'forbidden' ? sendProblem(out, req, base, 403, 'the file is not readable') : sendProblem(out, req, base, 404, 'no such file');
  }
  const { handle } = opened;
  try {
    return await sendOpened(opened, path, coding, revalidate, br || gzip, req, out, base);
  } finally {
    await handle.close(); // a no-op when the read stream has closed it already
  }
}

async function sendOpened(
  { handle, stat: s }: Opened,
  path: string,
  coding: Coding | undefined,
  revalidate: boolean,
  hasVariants: boolean,
  req: StaticRequest,
  out: ServerResponse,
  base: readonly string[],
): Promise<number> {
  const size = Number(s.size);
  const v: Validators = { etag: entityTag(s.size, s.mtimeNs, coding), modifiedSeconds: Number(s.mtimeNs / 1_000_000_000n) };
  // The type of the file asked for: `app.js.br` is still JavaScript, sent br-encoded.
  const type = contentType(extname(path)) || 'application/octet-stream';
  const validators = ['etag', v.etag, 'last-modified', httpDate(v.modifiedSeconds)];
  // Cache-Control: HTML (index.html, the fallback, any .html) gets `no-cache`, so a new deploy
  // is seen on the next navigation; it names the other assets. Everything else gets nothing
  // special: Parapet cannot tell a fingerprinted `app.3f2a.js` from a plain `app.js`, so it
  // claims no lifetime and leaves caches their heuristic, with cheap 304s from the validators.
  // Vary goes on every answer about a file with a precompressed sibling, 304 and 416 included,
  // so a cache never hands one client the encoding chosen for another.
  const caching = [...(hasVariants ? ['vary', 'Accept-Encoding'] : []), ...(revalidate || type.startsWith('text/html') ? ['cache-control', 'no-cache'] : [])];

  const precondition = evaluatePreconditions(req.headers, v);
  if (precondition === 'failed') {
    return sendProblem(out, req, base, 412, 'the file does not match If-Match or If-Unmodified-Since', [...validators, ...caching]);
  }
  if (precondition === 'not-modified') return sendEmpty(out, base, 304, [...validators, ...caching]);

  let status = 200;
  let start = 0;
  let end = size - 1;
  const extra: string[] = [];
  const range = req.method === 'GET' ? req.headers.range : undefined;
  if (range !== undefined && ifRangeHolds(single(req.headers['if-range']), v)) {
    const ranges = parseRange(size, range, { combine: true });
    if (ranges === -1) {
      return sendProblem(out, req, base, 416, `the range lies outside the file's ${size} bytes`, ['content-range', `bytes */${size}`, 'accept-ranges', 'bytes', ...validators, ...caching]);
    }
    // A malformed header, another unit, or several ranges that do not merge into one: the
    // whole file with 200, which RFC 9110 §14.2 allows. multipart/byteranges is not worth its
    // complexity here; browsers and download managers ask for one range at a time.
    if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
      const r = ranges[0] as { start: number; end: number };
      status = 206;
      start = r.start;
      end = r.end;
      extra.push('content-range', `bytes ${start}-${end}/${size}`);
    }
  }
  const length = end - start + 1;
  out.writeHead(status, [
    ...base,
    'content-type',
    type,
    'content-length',
    String(length),
    'accept-ranges',
    'bytes',
    'x-content-type-options',
    'nosniff',
    ...validators,
    ...caching,
    ...(coding ? ['content-encoding', coding] : []),
    ...extra,
  ]);
  if (req.method === 'HEAD' || length === 0) {
    out.end();
    return status;
  }
  try {
    await pipeline(handle.createReadStream({ start, end }), out);
  } catch {
    // The client went away, or a read failed mid-body: pipeline has destroyed both streams,
    // which closes the file and cuts the connection so the client cannot take a short body
    // for a whole one.
  }
  return status;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function sendEmpty(out: ServerResponse, base: readonly string[], status: number, extra: readonly string[]): number {
  out.writeHead(status, [...base, ...extra]);
  out.end();
  return status;
}

function sendProblem(out: ServerResponse, req: StaticRequest, base: readonly string[], status: number, detail: string, extra: readonly string[] = []): number {
  const body = problemBody(status, detail);
  out.writeHead(status, [...base, 'content-type', PROBLEM_TYPE, 'content-length', String(Buffer.byteLength(body)), ...extra]);
  if (req.method === 'HEAD') out.end();
  else out.end(body);
  return status;
}
