// Starts the servers under test as child processes pinned to the server CPU, each on ports of
// its own (plain, and TLS where it has a TLS listener), and hands back where to reach them.
// Proxies are started once their upstream listens.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareNginx } from './nginx.js';
import { parapetToml } from './parapet-config.js';
import type { BenchCertificate } from './pki.js';
import type { ServerDefinition, ServerId, TransportName } from './plan.js';
import { freePorts } from './ports.js';
import { waitForPorts, type ChildProcesses, type ManagedChild } from './processes.js';
import { encodeLaunch } from './servers/launch.js';

export type ServerPorts = Readonly<Partial<Record<TransportName, number>>>;

export interface RunningServer {
  readonly definition: ServerDefinition;
  readonly ports: ServerPorts;
  readonly child: ManagedChild;
}

export interface FleetContext {
  readonly children: ChildProcesses;
  readonly serverCpu: number;
  readonly certificate: BenchCertificate;
  readonly workDir: string;
  /** The nginx executable; needed only when the fleet includes nginx. */
  readonly nginx?: string | undefined;
  /** A command every server runs under (valgrind, say), with its arguments. */
  readonly launcher?: readonly string[];
  /** How long a server may take to listen (default 20 s). */
  readonly startTimeoutMs?: number;
}

const script = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const PARAPET_CLI = script('../src/cli/main.js');
const NODE_SERVERS = {
  bare: script('./servers/bare.js'),
  fastify: script('./servers/fastify.js'),
  upstream: script('./servers/upstream.js'),
  'fastify-proxy': script('./servers/fastify-proxy.js'),
} as const;
const START_TIMEOUT_MS = 20_000;

export async function startFleet(definitions: readonly ServerDefinition[], ctx: FleetContext): Promise<Map<ServerId, RunningServer>> {
  const ports = await freePorts(definitions.reduce((n, d) => n + d.transports.length, 0));
  let next = 0;
  const planned = definitions.map((d) => ({ d, ports: Object.fromEntries(d.transports.map((t) => [t, ports[next++]!])) as ServerPorts }));

  const upstream = planned.find((p) => p.d.implementation === 'upstream');
  const proxies = planned.filter((p) => p.d.proxy);
  if (proxies.length > 0 && upstream?.ports.plain === undefined) {
    throw new Error(`${proxies.map((p) => p.d.id).join(', ')} forward to the upstream server, which is not in the fleet`);
  }
  const others = planned.filter((p) => !p.d.proxy);
  const started = await Promise.all(others.map((p) => startServer(p.d, p.ports, undefined, ctx)));
  started.push(...(await Promise.all(proxies.map((p) => startServer(p.d, p.ports, upstream!.ports.plain, ctx)))));
  return new Map(started.map((s) => [s.definition.id, s]));
}

async function startServer(definition: ServerDefinition, ports: ServerPorts, upstreamPort: number | undefined, ctx: FleetContext): Promise<RunningServer> {
  const [server, serverArgs] = commandLine(definition, ports, upstreamPort, ctx);
  const [command, args] = ctx.launcher ? [ctx.launcher[0]!, [...ctx.launcher.slice(1), server, ...serverArgs]] : [server, serverArgs];
  // A reloading server's log (warn level, so only problems) is kept to check its reloads.
  const child = ctx.children.spawn(definition.id, command, args, { cpu: ctx.serverCpu, captureStdout: definition.reloadEveryMs !== undefined });
  await waitForPorts(child, Object.values(ports), ctx.startTimeoutMs ?? START_TIMEOUT_MS);
  return { definition, ports, child };
}

function commandLine(d: ServerDefinition, ports: ServerPorts, upstreamPort: number | undefined, ctx: FleetContext): [string, string[]] {
  const plainPort = portOf(d, ports, 'plain');
  switch (d.implementation) {
    case 'parapet':
      return [process.execPath, parapetArgs(d, plainPort, portOf(d, ports, 'tls'), upstreamPort, ctx)];
    case 'bare':
    case 'fastify': {
      const { certPath, keyPath } = ctx.certificate;
      const launch = encodeLaunch({ plainPort, tlsPort: portOf(d, ports, 'tls'), certPath, keyPath, features: d.features });
      return [process.execPath, [NODE_SERVERS[d.implementation], launch]];
    }
    case 'upstream':
      return [process.execPath, [NODE_SERVERS.upstream, encodeLaunch({ plainPort })]];
    case 'fastify-proxy':
      return [process.execPath, [NODE_SERVERS['fastify-proxy'], encodeLaunch({ plainPort, upstreamPort: upstreamOf(d, upstreamPort) })]];
    case 'nginx':
      if (ctx.nginx === undefined) throw new Error('nginx is not installed (apt-get install nginx)');
      return [ctx.nginx, prepareNginx({ dir: join(ctx.workDir, d.id), port: plainPort, upstreamPort: upstreamOf(d, upstreamPort) })];
  }
}

function portOf(d: ServerDefinition, ports: ServerPorts, transport: TransportName): number {
  const port = ports[transport];
  if (port === undefined) throw new Error(`${d.id} has no ${transport} listener`);
  return port;
}

function upstreamOf(d: ServerDefinition, upstreamPort: number | undefined): number {
  if (upstreamPort === undefined) throw new Error(`${d.id} is a proxy but no upstream port was given`);
  return upstreamPort;
}

function parapetArgs(d: ServerDefinition, plainPort: number, tlsPort: number, upstreamPort: number | undefined, ctx: FleetContext): string[] {
  const dir = join(ctx.workDir, d.id);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.toml');
  writeFileSync(
    configPath,
    parapetToml({
      settings: { hsts: d.features.hsts, permissiveCors: d.features.permissiveCors, logLevel: d.logLevel, guarded: d.guarded ?? false },
      plainPort,
      tlsPort,
      certPath: ctx.certificate.certPath,
      keyPath: ctx.certificate.keyPath,
      dataDir: join(dir, 'data'),
      ...(d.proxy ? { upstream: `http://127.0.0.1:${upstreamOf(d, upstreamPort)}` } : {}),
    }),
  );
  return [PARAPET_CLI, 'serve', '--config', configPath];
}
