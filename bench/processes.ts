// Every child the benchmark starts (servers and load generators) is registered here, so one
// call stops them all: at the end, on an error, on Ctrl-C and when the time budget runs out.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal name) once the child is gone. */
  readonly exited: Promise<number | string>;
  stdout(): string;
  stderrTail(): string;
}

export interface SpawnOptions {
  /** Pin to this CPU with taskset (when pinning is available). */
  readonly cpu?: number;
  /** Keep stdout for the caller (load generators); servers write theirs to /dev/null. */
  readonly captureStdout?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

const STDERR_TAIL_CHARS = 4000;

export function pinningAvailable(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

export class ChildProcesses {
  private readonly running = new Set<ManagedChild>();

  constructor(private readonly pin: boolean) {}

  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ManagedChild {
    const [file, argv] = this.pin && options.cpu !== undefined ? ['taskset', ['-c', String(options.cpu), command, ...args]] : [command, [...args]];
    const child = spawn(file, argv, {
      stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
      env: options.env ?? process.env,
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-STDERR_TAIL_CHARS)));
    const exited = new Promise<number | string>((resolve) => {
      child.once('error', (e) => {
        err += `\n${e.message}`;
        resolve(-1);
      });
      // 'close', not 'exit': by then the child's stdout has been read to the end.
      child.once('close', (code, signal) => resolve(code ?? signal ?? -1));
    });
    const managed: ManagedChild = { name, process: child, exited, stdout: () => out, stderrTail: () => err.trim() };
    this.running.add(managed);
    void exited.then(() => this.running.delete(managed));
    return managed;
  }

  /** SIGTERM, then SIGKILL for whatever has not exited after `graceMs`. */
  async stopAll(graceMs = 2000): Promise<void> {
    const children = [...this.running];
    for (const c of children) c.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    }, graceMs);
    await Promise.all(children.map((c) => c.exited));
    clearTimeout(timer);
  }

  /** The synchronous last resort on process exit: nothing may outlive the harness. */
  killAllNow(): void {
    for (const c of this.running) c.process.kill('SIGKILL');
  }
}

/** Waits until every port accepts a TCP connection; fails early, with its stderr, if the child dies. */
export async function waitForPorts(child: ManagedChild, ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void child.exited.then((code) => (exitedWith = code));
  for (const port of ports) {
    for (;;) {
      if (exitedWith !== undefined) throw new Error(`${child.name} exited (${exitedWith}) before listening:\n${child.stderrTail() || '(no stderr)'}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) throw new Error(`${child.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${child.stderrTail() || '(no stderr)'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Cleanup {
  /** Stops children and removes the work folder; safe to call more than once. */
  done(): Promise<void>;
  abort(reason: string, exitCode: number): Promise<void>;
}

/** Stops every child and removes `workDir` at the end, on Ctrl-C, on SIGTERM and on exit. */
export function installCleanup(children: ChildProcesses, workDir: string): Cleanup {
  let finished: Promise<void> | undefined;
  const done = () =>
    (finished ??= children.stopAll().then(() => rmSync(workDir, { recursive: true, force: true })));
  const abort = async (reason: string, exitCode: number) => {
    process.stderr.write(`\nbench: ${reason}; stopping servers and load generators\n`);
    await done();
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void abort('interrupted', 130));
  process.once('SIGTERM', () => void abort('terminated', 143));
  process.once('exit', () => children.killAllNow());
  return { done, abort };
}
