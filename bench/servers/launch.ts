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

export function encodeLaunch(launch: ServerLaunch): string {
  return JSON.stringify(launch);
}

export function readLaunch(argv: readonly string[] = process.argv): ServerLaunch {
  const raw = argv[2];
  if (raw === undefined) throw new Error('usage: node <server>.js \'<launch JSON>\'');
  return JSON.parse(raw) as ServerLaunch;
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
