import { formatDiagnostic, hasErrors } from '../errors.js';
import { loadConfig, readSource } from '../config/load.js';

/** `parapet check`: every problem in the file at once; exit 1 when any is an error. */
export function check(path: string): number {
  const source = readSource(path);
  const diagnostics = 'code' in source ? [source] : loadConfig(source).diagnostics;
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  if (hasErrors(diagnostics)) {
    process.stderr.write(`${path}: invalid (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})\n`);
    return 1;
  }
  process.stdout.write(`${path}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n`);
  return 0;
}
