// How the harness tells a comparison server what to serve: one JSON argument, so the
// server process needs no config parsing of its own.
import { readFileSync } from 'node:fs';
import type { Features } from '../contract.js';

export interface ServerLaunch {
  readonly plainPort: number;
  readonly tlsPort: number;
  readonly certPath: string;
  readonly keyPath: string;
  readonly features: Features;
}

/** The proxy scenario's plain-HTTP servers: the upstream, and proxies forwarding to it. */
export interface PlainLaunch {
  readonly plainPort: number;
  /** Where a proxy forwards to (127.0.0.1); absent for the upstream itself. */
  readonly upstreamPort?: number;
}

export function encodeLaunch(launch: ServerLaunch | PlainLaunch): string {
  return JSON.stringify(launch);
}

export function readLaunch<L extends ServerLaunch | PlainLaunch = ServerLaunch>(argv: readonly string[] = process.argv): L {
  const raw = argv[2];
  if (raw === undefined) throw new Error('usage: node <server>.js \'<launch JSON>\'');
  return JSON.parse(raw) as L;
}

export function readKeyPair(launch: ServerLaunch): { cert: string; key: string } {
  return { cert: readFileSync(launch.certPath, 'utf8'), key: readFileSync(launch.keyPath, 'utf8') };
}

/** Children exit promptly when the harness stops them. */
export function exitOnSignals(close: () => Promise<unknown> | void): void {
  const stop = () => {
    void Promise.resolve(close()).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
