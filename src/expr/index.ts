/**
 * Stalwart's expression language, compiled once per config and evaluated per request.
 *
 *   const r = compile("starts_with(url_path, '/api') && remote_ip != '127.0.0.1'");
 *   if (!r.ok) report(r.error.position, r.error.message);
 *   const v = evaluate(r.expr, vars, ctx);   // a Value, or an EvaluationFailure; never throws
 *
 * Rule lists (`if`/`then`/`else`, as `http.allowed-endpoint` uses) go through
 * `compileRules` / `evaluateRules`. Nothing here imports the server or the config loader.
 */
import { newState, runSafely, type CompiledExpr, type EvaluationFailure } from './evaluate.js';
import type { EvalContext, Variables } from './state.js';
import type { Value } from './value.js';

export { compile, type CompileOptions, type CompileResult, type ExprError } from './compile.js';
export { CompiledExpr, EvaluationFailure, isFailure } from './evaluate.js';
export { HTTP_VARIABLES, headerLines, toResultString, toStatusCode, type HttpVariables } from './http.js';
export { compileRules, evaluateRules, explainRules, type CompiledRules, type Rule, type RuleError, type RuleSource, type RulesResult } from './rules.js';
export { LIMITS, type EvalContext, type Variables } from './state.js';
export { Float, describe as describeValue, toStr as valueToString, truthy, type Value } from './value.js';

/** Evaluates a compiled expression. Never throws: a limit exceeded is an `EvaluationFailure`. */
export function evaluate(expr: CompiledExpr, vars: Variables, ctx: EvalContext): Value | EvaluationFailure {
  return runSafely(expr.run, newState(vars, ctx));
}
