import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly only: readonly string[] | undefined;
  readonly loadGenerator: 'auto' | 'wrk' | 'autocannon';
  /** Load one server at a time instead of a group's servers at once. */
  readonly oneAtATime: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --duration SECONDS     measured run length per server and scenario (default 3)
  --warmup SECONDS       unmeasured run before each measured one (default 1)
  --rounds N             repeat every measurement N times, report medians and their interval (default 6)
  --connections N        keep-alive connections held open by the load generator (default 50)
  --only a,b             scenarios to run: plain, tls, hsts, preflight, cors, guarded, proxy, reload (default all)
  --load wrk|autocannon  load generator (default: wrk when installed)
  --one-at-a-time        load one server at a time (default: the servers compared with each
                         other are loaded at once, sharing the server CPU, except the proxies)
  --help`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      load: { type: 'string' },
      'one-at-a-time': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  const load = values.load ?? 'auto';
  if (load !== 'auto' && load !== 'wrk' && load !== 'autocannon') throw new Error(`--load must be wrk or autocannon, not ${load}`);
  return {
    durationSeconds: positiveInteger('--duration', values.duration, 3),
    warmupSeconds: positiveInteger('--warmup', values.warmup, 1, { allowZero: true }),
    rounds: positiveInteger('--rounds', values.rounds, 6),
    connections: positiveInteger('--connections', values.connections, 50),
    only: values.only?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    loadGenerator: load,
    oneAtATime: values['one-at-a-time'] ?? false,
    help: values.help ?? false,
  };
}

function positiveInteger(flag: string, raw: string | undefined, fallback: number, opts: { allowZero?: boolean } = {}): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (opts.allowZero ? 0 : 1)) throw new Error(`${flag} must be a whole number${opts.allowZero ? '' : ' above 0'}, not ${JSON.stringify(raw)}`);
  return n;
}
