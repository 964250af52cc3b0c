import { pino, type Logger } from 'pino';

/** What the line of one answered request says. */
export interface RequestLogFields {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly ip: string;
  readonly listener: string;
  readonly route: string | undefined;
}

interface LineSink {
  write(line: string): unknown;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
const quoted = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/**
 * Writes the `request` line (level info) to the logger's destination, in pino's format:
 * `{"level":"info","time":…,"method":…,…,"msg":"request"}`. pino serialises a fresh object
 * per call, about 4 µs: a tenth of the CPU a plain GET costs. This line always has the same
 * shape, so it is one template (about 0.3 µs). It goes through the same destination as
 * every other line, so lines stay whole and in order. The caller checks the level.
 */
export function writeRequestLine(logger: Logger, f: RequestLogFields): void {
  const sink = (logger as unknown as Record<symbol, LineSink>)[pino.symbols.streamSym]!;
  sink.write(
    `{"level":"info","time":${Date.now()},"method":${quoted(f.method)},"path":${quoted(f.path)},"status":${f.status},"ms":${f.ms},"ip":${quoted(f.ip)},"listener":${quoted(f.listener)}${f.route === undefined ? '' : `,"route":${quoted(f.route)}`},"msg":"request"}\n`,
  );
}
