import { readFileSync } from 'node:fs';
import type { Code } from '../errors.js';

export interface MacroEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly readFile: (path: string) => string;
}

export const processMacroEnvironment: MacroEnvironment = {
  env: process.env,
  readFile: (path) => readFileSync(path, 'utf8'),
};

const MACRO = /%\{([a-z]+):([^}]*)\}%/g;
const SHELL_PLACEHOLDER = /(?:^|[^$\\])\$\{?([A-Z_][A-Z0-9_]*)\}?/;

export type Report = (code: Code, message: string) => void;

/**
 * Expands Stalwart's `%{env:NAME}%` and `%{file:PATH}%` macros in one value. Only the values
 * Parapet reads are expanded, so a Stalwart file whose store paths use variables that are
 * not set here still loads.
 */
export function expandValue(raw: string, environment: MacroEnvironment, report: Report, onFile?: (path: string) => void): string {
  if (!raw.includes('%{')) {
    const shell = SHELL_PLACEHOLDER.exec(raw);
    if (shell) report('CFG_SHELL_PLACEHOLDER', `\`${raw}\` is used literally; Stalwart expands environment variables as \`%{env:${shell[1]}}%\``);
    return raw;
  }
  return raw.replace(MACRO, (whole, kind: string, arg: string) => {
    if (kind === 'env') {
      const value = environment.env[arg];
      if (value === undefined) {
        report('CFG_MACRO_ENV_MISSING', `environment variable \`${arg}\` is not set (used as \`${whole}\`)`);
        return '';
      }
      return value;
    }
    if (kind === 'file') {
      onFile?.(arg);
      try {
        return environment.readFile(arg);
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? String(err);
        report('CFG_MACRO_FILE_MISSING', `cannot read file \`${arg}\` (${reason})`);
        return '';
      }
    }
    report('CFG_MACRO_UNKNOWN', `unknown macro \`${whole}\`; accepted: %{env:NAME}% and %{file:PATH}%`);
    return '';
  });
}
