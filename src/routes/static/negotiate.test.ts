import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { asksForHtml, chooseCoding, type Coding } from './negotiate.js';

describe('chooseCoding', () => {
  const both = { br: true, gzip: true };
  // [Accept-Encoding, variants present, coding sent (undefined: the file itself)]
  const cases: [string | undefined, { br: boolean; gzip: boolean }, Coding | undefined][] = [
    [undefined, both, undefined],
    ['', both, undefined],
    ['identity', both, undefined],
    ['gzip, deflate, br', both, 'br'],
    ['gzip', both, 'gzip'],
    ['x-gzip', both, 'gzip'],
    ['br', both, 'br'],
    ['BR', both, 'br'],
    ['br', { br: false, gzip: true }, undefined],
    ['gzip, br', { br: false, gzip: true }, 'gzip'],
    ['br;q=0, gzip', both, 'gzip'],
    ['br;q=0.000, gzip', both, 'gzip'],
    ['br;q=0, gzip;q=0', both, undefined],
    ['gzip;q=1, br;q=0.5', both, 'gzip'],
    ['gzip;q=0.5, br;q=0.5', both, 'br'],
    ['*', both, 'br'],
    ['*;q=0', both, undefined],
    ['*, br;q=0', both, 'gzip'],
    ['br;q=2', both, undefined],
    ['br;q=abc, gzip', both, 'gzip'],
    ['gzip, br', { br: false, gzip: false }, undefined],
  ];
  for (const [header, available, expected] of cases) {
    test(`${JSON.stringify(header)} with ${JSON.stringify(available)}`, () => assert.equal(chooseCoding(header, available), expected));
  }
});

describe('asksForHtml', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['*/*', false],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['text/html;q=0', false],
    ['TEXT/HTML', true],
    ['application/json', false],
  ];
  for (const [accept, expected] of cases) test(String(accept), () => assert.equal(asksForHtml(accept), expected));
});
