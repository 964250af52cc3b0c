import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { writeRequestLine, type RequestLogFields } from './request-log.js';

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info', base: undefined, formatters: { level: (label) => ({ level: label }) } }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

const fields: RequestLogFields = { method: 'GET', path: '/healthz/live', status: 200, ms: 0.12, ip: '203.0.113.7', listener: 'web', route: undefined };

describe('the request line', () => {
  test('is the line pino writes for the same fields, but for the time', () => {
    const { logger, lines } = capture();
    writeRequestLine(logger, { ...fields, route: 'mail' });
    const { route, ...rest } = { ...fields, route: 'mail' };
    logger.info({ ...rest, route }, 'request');
    assert.equal(lines.length, 2);
    const [ours, theirs] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(typeof ours!.time === 'number' && Math.abs((ours!.time as number) - Date.now()) < 5000);
    assert.deepEqual({ ...ours, time: 0 }, { ...theirs, time: 0 });
    assert.deepEqual(Object.keys(ours!), Object.keys(theirs!), 'same keys, same order');
    assert.ok(lines[0]!.endsWith('}\n'));
  });

  test('without a route, the line has no route key', () => {
    const { logger, lines } = capture();
    writeRequestLine(logger, fields);
    assert.equal('route' in (JSON.parse(lines[0]!) as object), false);
  });

  test('any path, method or id is one parseable line that says exactly what it was given', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.string(), fc.option(fc.string({ unit: 'binary' }), { nil: undefined }), (path, method, listener, route) => {
        const { logger, lines } = capture();
        writeRequestLine(logger, { ...fields, path, method, listener, route });
        assert.equal(lines.length, 1);
        assert.equal(lines[0]!.indexOf('\n'), lines[0]!.length - 1, 'one line');
        const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
        assert.equal(parsed.path, path);
        assert.equal(parsed.method, method);
        assert.equal(parsed.listener, listener);
        assert.equal(parsed.route, route);
      }),
      { numRuns: 500 },
    );
  });
});
