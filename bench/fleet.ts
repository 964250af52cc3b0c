// Starts the servers under test as child processes pinned to the server CPU, each on two
// ports of its own (plain and TLS), and hands back where to reach them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parapetToml } from './parapet-config.js';
import type { BenchCertificate } from './pki.js';
import type { ServerDefinition, ServerId, TransportName } from './plan.js';
import { freePorts } from './ports.js';
import { waitForPorts, type ChildProcesses, type ManagedChild } from './processes.js';
import { encodeLaunch } from './servers/launch.js';

export interface RunningServer {
  readonly definition: ServerDefinition;
  readonly ports: Readonly<Record<TransportName, number>>;
  readonly child: ManagedChild;
}

export interface FleetContext {
  readonly children: ChildProcesses;
  readonly serverCpu: number;
  readonly certificate: BenchCertificate;
  readonly workDir: string;
}

const script = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));
const PARAPET_CLI = script('../src/cli/main.js');
const COMPARISON_SERVERS = { bare: script('./servers/bare.js'), fastify: script('./servers/fastify.js') } as const;
const START_TIMEOUT_MS = 20_000;

export async function startFleet(definitions: readonly ServerDefinition[], ctx: FleetContext): Promise<Map<ServerId, RunningServer>> {
  const ports = await freePorts(definitions.length * 2);
  const started = await Promise.all(definitions.map((d, i) => startServer(d, { plain: ports[2 * i]!, tls: ports[2 * i + 1]! }, ctx)));
  return new Map(started.map((s) => [s.definition.id, s]));
}

async function startServer(definition: ServerDefinition, ports: Record<TransportName, number>, ctx: FleetContext): Promise<RunningServer> {
  const args = definition.implementation === 'parapet' ? parapetArgs(definition, ports, ctx) : comparisonArgs(definition, ports, ctx);
  const child = ctx.children.spawn(definition.id, process.execPath, args, { cpu: ctx.serverCpu });
  await waitForPorts(child, [ports.plain, ports.tls], START_TIMEOUT_MS);
  return { definition, ports, child };
}

function parapetArgs(d: ServerDefinition, ports: Record<TransportName, number>, ctx: FleetContext): string[] {
  const dir = join(ctx.workDir, d.id);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.toml');
  writeFileSync(
    configPath,
    parapetToml({
      settings: { hsts: d.features.hsts, permissiveCors: d.features.permissiveCors, logLevel: d.logLevel, guarded: d.guarded ?? false },
      plainPort: ports.plain,
      tlsPort: ports.tls,
      certPath: ctx.certificate.certPath,
      keyPath: ctx.certificate.keyPath,
      dataDir: join(dir, 'data'),
    }),
  );
  return [PARAPET_CLI, 'serve', '--config', configPath];
}

function comparisonArgs(d: ServerDefinition, ports: Record<TransportName, number>, ctx: FleetContext): string[] {
  const launch = encodeLaunch({ plainPort: ports.plain, tlsPort: ports.tls, certPath: ctx.certificate.certPath, keyPath: ctx.certificate.keyPath, features: d.features });
  return [d.implementation === 'fastify' ? COMPARISON_SERVERS.fastify : COMPARISON_SERVERS.bare, launch];
}
