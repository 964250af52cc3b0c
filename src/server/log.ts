import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';

export type { Logger };

/** Structured JSON lines on stdout; writes are buffered off the request path. */
export function createLogger(level: LogLevel, destination: number = 1): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest: destination, sync: false }),
  );
}
