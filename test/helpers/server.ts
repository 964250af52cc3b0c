// Starts a real Parapet on loopback, port 0, from a TOML text, for tests.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ParapetServer } from '../../src/server/server.js';
import type { Logger } from '../../src/server/log.js';

export interface TestServer {
  readonly server: ParapetServer;
  readonly configPath: string;
  readonly dir: string;
  /** `http://127.0.0.1:PORT` (or https) of a listener, by id. */
  url(listenerId: string, host?: string): string;
  port(listenerId: string): number;
  /** Rewrites the config file (call `server.reload()` afterwards). */
  rewrite(toml: string): void;
  close(): Promise<void>;
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A logger that keeps every line, for tests that assert on logs. */
export function recordingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

/** Tests send many requests from 127.0.0.1; a test about rate limits sets its own. */
function withTestDefaults(toml: string, dir: string): string {
  let out = toml;
  if (!out.includes('data-dir')) out += `\n[server]\ndata-dir = ${JSON.stringify(join(dir, 'data'))}\n`;
  if (!out.includes('rate-limit')) out += '\n[http.rate-limit]\nanonymous = "1000000/1m"\n';
  return out;
}

export async function startServer(toml: string, opts: { logger?: Logger; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-test-'));
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, withTestDefaults(toml, dir));
  const server = await ParapetServer.start({
    configPath,
    logger: opts.logger ?? silentLogger(),
    ...(opts.env ? { environment: { env: opts.env, readFile: (p: string) => readFileSync(p, 'utf8') } } : {}),
  });
  const info = (id: string) => {
    const l = server.listenerInfo().find((x) => x.id === id);
    if (!l) throw new Error(`no listener ${id}`);
    return l;
  };
  return {
    server,
    configPath,
    dir,
    port: (id) => info(id).ports[0]!,
    url: (id, host = '127.0.0.1') => `${info(id).tls ? 'https' : 'http'}://${host}:${info(id).ports[0]}`,
    rewrite: (text) => writeFileSync(configPath, withTestDefaults(text, dir)),
    close: () => server.shutdown(1000),
  };
}

/** A TOML listener block on loopback, port 0. */
export function listener(id: string, opts: { tls?: boolean; bind?: string } = {}): string {
  return `
[server.listener.${id}]
protocol = "http"
bind = "${opts.bind ?? '127.0.0.1:0'}"
${opts.tls ? 'tls.implicit = true' : ''}
`;
}

/** A TOML certificate block with the PEM inline (TOML multi-line literal strings). */
export function certificate(id: string, certPem: string, keyPem: string, extra = ''): string {
  return `
[certificate.${id}]
cert = '''
${certPem.trim()}
'''
private-key = '''
${keyPem.trim()}
'''
${extra}
`;
}
