import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { entityTag, evaluatePreconditions, httpDate, ifRangeHolds, matchesAny, parseEntityTags, type Precondition, type Validators } from './conditional.js';

const modified = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
const v: Validators = { etag: '"a-b"', modifiedSeconds: modified };
const LM = httpDate(modified);
const EARLIER = httpDate(modified - 60);
const LATER = httpDate(modified + 60);

test('entityTag and httpDate', () => {
  assert.equal(entityTag(31n, 255n, undefined), '"1f-ff"');
  assert.equal(entityTag(31n, 255n, 'br'), '"1f-ff-br"');
  assert.equal(LM, 'Tue, 02 Jan 2024 03:04:05 GMT');
});

describe('evaluatePreconditions, in RFC 9110 §13.2.2 order', () => {
  const cases: [string, IncomingHttpHeaders, Precondition][] = [
    ['no conditions', {}, 'pass'],
    ['If-Match equal', { 'if-match': '"a-b"' }, 'pass'],
    ['If-Match in a list', { 'if-match': '"x", "a-b"' }, 'pass'],
    ['If-Match *', { 'if-match': '*' }, 'pass'],
    ['If-Match other', { 'if-match': '"x"' }, 'failed'],
    ['If-Match weak never matches', { 'if-match': 'W/"a-b"' }, 'failed'],
    ['If-Match malformed', { 'if-match': 'a-b' }, 'failed'],
    ['If-Unmodified-Since earlier', { 'if-unmodified-since': EARLIER }, 'failed'],
    ['If-Unmodified-Since equal', { 'if-unmodified-since': LM }, 'pass'],
    ['If-Unmodified-Since ignored under If-Match', { 'if-match': '"a-b"', 'if-unmodified-since': EARLIER }, 'pass'],
    ['If-Unmodified-Since invalid is ignored', { 'if-unmodified-since': 'yesterday' }, 'pass'],
    ['If-None-Match equal', { 'if-none-match': '"a-b"' }, 'not-modified'],
    ['If-None-Match weak compares weakly', { 'if-none-match': 'W/"a-b"' }, 'not-modified'],
    ['If-None-Match in a list with empty elements', { 'if-none-match': '"x", , "a-b"' }, 'not-modified'],
    ['If-None-Match *', { 'if-none-match': '*' }, 'not-modified'],
    ['If-None-Match other', { 'if-none-match': '"x"' }, 'pass'],
    ['If-Modified-Since equal', { 'if-modified-since': LM }, 'not-modified'],
    ['If-Modified-Since later', { 'if-modified-since': LATER }, 'not-modified'],
    ['If-Modified-Since earlier', { 'if-modified-since': EARLIER }, 'pass'],
    ['If-Modified-Since invalid is ignored', { 'if-modified-since': 'not a date' }, 'pass'],
    ['If-Modified-Since ignored under If-None-Match', { 'if-none-match': '"x"', 'if-modified-since': LATER }, 'pass'],
    ['If-Match failing wins over If-None-Match', { 'if-match': '"x"', 'if-none-match': '"a-b"' }, 'failed'],
  ];
  for (const [name, headers, expected] of cases) {
    test(name, () => assert.equal(evaluatePreconditions(headers, v), expected));
  }
});

describe('ifRangeHolds', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, true],
    ['"a-b"', true],
    [' "a-b" ', true],
    ['W/"a-b"', false],
    ['"x"', false],
    [LM, true],
    [EARLIER, false],
    [LATER, false],
    ['garbage', false],
  ];
  for (const [value, expected] of cases) {
    test(String(value), () => assert.equal(ifRangeHolds(value, v), expected));
  }
});

test('parseEntityTags refuses what is not a list of tags', () => {
  assert.deepEqual(parseEntityTags('"a", W/"b"'), ['"a"', 'W/"b"']);
  assert.equal(parseEntityTags('"a" "b"'), undefined);
  assert.equal(parseEntityTags('"a'), undefined);
  assert.equal(matchesAny('"a', '"a"', false), false);
});
