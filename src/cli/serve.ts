import { ConfigError, ParapetServer } from '../server/server.js';
import { formatDiagnostic } from '../errors.js';

/** `parapet serve`: runs until SIGTERM/SIGINT; SIGHUP reloads. Resolves -1 (exit code set later). */
export async function serve(configPath: string | undefined): Promise<number> {
  let server: ParapetServer;
  try {
    server = await ParapetServer.start({ configPath });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const d of err.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(`${configPath ?? 'embedded config'}: not started, the configuration is invalid\n`);
      return 1;
    }
    throw err;
  }
  server.log.flush();
  process.on('SIGHUP', () => void server.reload().then(() => server.log.flush()));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, 'shutting down: draining in-flight requests');
    server.shutdown().then(
      () => {
        server.log.info('stopped');
        server.log.flush();
        process.exitCode = 0;
        setImmediate(() => process.exit(0));
      },
      (err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        server.log.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return -1;
}
