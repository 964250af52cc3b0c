import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';

export type { Logger };

/**
 * Structured JSON lines on stdout. Writes are batched (4 KiB) off the request path: one
 * write call per line would cost about as much as serving the request. `time` is epoch
 * milliseconds for the same reason; `flush()` runs at shutdown.
 */
export function createLogger(level: LogLevel, destination: number = 1): Logger {
  const logger = pino(
    { level, base: undefined, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ dest: destination, sync: false, minLength: 4096 }),
  );
  // A quiet server still shows its lines within a second.
  setInterval(() => logger.flush(), 1000).unref();
  return logger;
}
