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

const MACRO_KIND = /([a-z]+):/y;

/**
 * `raw.replace(/%\{([a-z]+):([^}]*)\}%/g, replace)`, in linear time: that regular expression
 * scans from every `%{` to the next `}`, quadratic in a long value full of unclosed macros.
 * A macro runs from `%{` to the first `}` after it, which must be followed by `%`.
 */
function replaceMacros(raw: string, replace: (whole: string, kind: string, arg: string) => string): string {
  let out = '';
  let done = 0; // raw[0, done) is in `out`
  let close = -1; // the first `}` after the current `%{`, kept while it lies ahead
  for (let open = raw.indexOf('%{'); open >= 0; open = raw.indexOf('%{', open + 1)) {
    if (close < open) close = raw.indexOf('}', open + 2);
    if (close < 0) break;
    MACRO_KIND.lastIndex = open + 2;
    const kind = MACRO_KIND.exec(raw)?.[1];
    if (kind === undefined || raw[close + 1] !== '%') continue;
    out += raw.slice(done, open) + replace(raw.slice(open, close + 2), kind, raw.slice(MACRO_KIND.lastIndex, close));
    done = close + 2;
    open = close + 1; // the next `%{` is searched for from `done`
  }
  return out + raw.slice(done);
}

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
  return replaceMacros(raw, (whole, kind, arg) => {
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
