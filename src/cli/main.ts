#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { check } from './check.js';
import { EXPLAIN_USAGE, explainCommand } from './explain.js';
import { serve } from './serve.js';

const USAGE = `Usage:
  parapet serve [--config FILE]   start serving (the embedded default when no file is given)
  parapet check --config FILE     validate a config file without serving (exit 0 when valid)
  ${EXPLAIN_USAGE}

Signals while serving: SIGHUP reloads the config, SIGTERM or SIGINT stops gracefully.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // explain has options of its own; the other commands share --config.
  if (command === 'explain' && !rest.includes('--help') && !rest.includes('-h')) return explainCommand(rest);
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false });
  if (values.help || command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  switch (command) {
    case 'serve':
      return serve(values.config);
    case 'check':
      if (!values.config) {
        process.stderr.write('parapet check needs --config FILE\n');
        return 2;
      }
      return check(values.config);
    default:
      process.stderr.write(`unknown command \`${command}\`\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
