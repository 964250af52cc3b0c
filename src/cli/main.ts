#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { check } from './check.js';
import { configShow } from './config-show.js';
import { EXPLAIN_USAGE, explainCommand } from './explain.js';
import { serve } from './serve.js';

const USAGE = `Usage:
  parapet serve [--config FILE]   start serving (the embedded default when no file is given)
  parapet check --config FILE     validate a config file without serving (exit 0 when valid)
  parapet config show [--config FILE] [--json]
                                  every effective key, its value and its source (file, store, default)
  ${EXPLAIN_USAGE}

Signals while serving: SIGHUP reloads the config, SIGTERM or SIGINT stops gracefully.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // explain has options of its own; the other commands share --config.
  if (command === 'explain' && !rest.includes('--help') && !rest.includes('-h')) return explainCommand(rest);
  if (command === 'config') {
    const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, allowPositionals: true });
    if (positionals[0] !== 'show' || positionals.length > 1) {
      process.stderr.write(`unknown config command; try \`parapet config show\`\n${USAGE}\n`);
      return 2;
    }
    return configShow(values.config, values.json ?? false);
  }
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
