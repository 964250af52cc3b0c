import { build, CompiledExpr } from './evaluate.js';
import { HTTP_VARIABLES } from './http.js';
import { ExprSyntaxError } from './lexer.js';
import { parse } from './parser.js';

/** Where an expression is wrong: `position` is the 0-based offset into the source. */
export interface ExprError {
  readonly message: string;
  readonly position: number;
  /** 1-based, for expressions that span lines (TOML multi-line strings). */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

export interface CompileOptions {
  /** Variable names the expression may use; Stalwart's HTTP variables by default. */
  readonly variables?: readonly string[];
}

export type CompileResult = { readonly ok: true; readonly expr: CompiledExpr } | { readonly ok: false; readonly error: ExprError };

/** Compiles one expression. Never throws: every problem is an `ExprError`. */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const variables = new Set(options.variables ?? HTTP_VARIABLES);
  try {
    return { ok: true, expr: build(source, parse(source, { variables })) };
  } catch (err) {
    if (err instanceof ExprSyntaxError) return { ok: false, error: locate(source, err.message, err.position) };
    const detail = err instanceof Error ? err.message : String(err);
    return { ok: false, error: locate(source, `expression could not be compiled: ${detail}`, 0) };
  }
}

export function locate(source: string, message: string, position: number): ExprError {
  const before = source.slice(0, position);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (source.charCodeAt(i) === 10) line++;
  return { message, position, line, column: position - lineStart + 1 };
}
