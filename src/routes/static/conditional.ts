// Validators and conditional requests for static files (RFC 9110 §8.8, §13). Pure: the
// caller hands in the request's headers and the selected representation's validators.
import type { IncomingHttpHeaders } from 'node:http';

export interface Validators {
  /** A strong entity tag with its quotes: `"1f-17c0a1b2c3d4e5f6"`. */
  readonly etag: string;
  /** Last modification, whole seconds since the epoch (HTTP dates have no finer precision). */
  readonly modifiedSeconds: number;
}

/**
 * A strong tag from size and modification time in nanoseconds, with the content coding
 * appended for a precompressed variant: each encoding is its own representation, with its own
 * bytes, so `Range` and `If-Range` must never mix them up.
 */
export function entityTag(size: bigint, mtimeNs: bigint, coding: string | undefined): string {
  return `"${size.toString(16)}-${mtimeNs.toString(16)}${coding ? `-${coding}` : ''}"`;
}

/** The IMF-fixdate of `Last-Modified` (`Sun, 06 Nov 1994 08:49:37 GMT`). */
export function httpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

export type Precondition = 'pass' | 'not-modified' | 'failed';

/**
 * RFC 9110 §13.2.2, in its order, for GET and HEAD (the only methods that get this far):
 * If-Match, else If-Unmodified-Since (412 when false); then If-None-Match, else
 * If-Modified-Since (304 when false). A date that does not parse is ignored, as §13.1.3–4 say.
 */
export function evaluatePreconditions(h: IncomingHttpHeaders, v: Validators): Precondition {
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined) {
    if (!matchesAny(ifMatch, v.etag, true)) return 'failed';
  } else {
    const since = parseDate(h['if-unmodified-since']);
    if (since !== undefined && v.modifiedSeconds > since) return 'failed';
  }
  const ifNoneMatch = h['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (matchesAny(ifNoneMatch, v.etag, false)) return 'not-modified';
  } else {
    const since = parseDate(h['if-modified-since']);
    if (since !== undefined && v.modifiedSeconds <= since) return 'not-modified';
  }
  return 'pass';
}

/**
 * Whether `If-Range` lets a `Range` apply (§13.1.5): an entity tag must match strongly, a
 * date must equal `Last-Modified` exactly. Anything else, a weak tag included, means "send
 * the whole representation".
 */
export function ifRangeHolds(value: string | undefined, v: Validators): boolean {
  if (value === undefined) return true;
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return trimmed === v.etag;
  const date = parseDate(trimmed);
  return date !== undefined && date === v.modifiedSeconds;
}

/**
 * Whether a list of entity tags (`"a", W/"b"`) or `*` names `etag`. Strong comparison needs
 * both tags strong; weak comparison only compares the opaque parts (§8.8.3.2). A list that
 * does not parse matches nothing.
 */
export function matchesAny(list: string, etag: string, strong: boolean): boolean {
  if (list.trim() === '*') return true;
  for (const tag of parseEntityTags(list) ?? []) {
    if (strong && tag.startsWith('W/')) continue;
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

// Empty list elements (`"a", , "b"`) are allowed, as RFC 9110 §5.6.1 asks of recipients.
const ENTITY_TAG = /^[\s,]*((?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/;

/** The tags of a list as written (`W/"x"` or `"x"`), or undefined when it is malformed. */
export function parseEntityTags(list: string): string[] | undefined {
  const tags: string[] = [];
  let rest = list;
  while (/[^\s,]/.test(rest)) {
    const m = ENTITY_TAG.exec(rest);
    if (!m) return undefined;
    tags.push(m[1] as string);
    rest = rest.slice(m[0].length);
  }
  return tags;
}

/** An HTTP date in whole seconds, or undefined. */
function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
