import { compile, type CompileOptions } from './compile.js';
import { newState, toFailure, type CompiledExpr, type EvaluationFailure } from './evaluate.js';
import type { EvalContext, Variables } from './state.js';
import { truthy, type Value } from './value.js';

/**
 * Stalwart's rule lists (`IfBlock` in `crates/common/src/expr/if_block.rs`): a key holds
 * either one expression,
 *
 *   allowed-endpoint = "200"
 *
 * or a list of `if`/`then` entries ending in an `else`, which the config flattens to
 *
 *   allowed-endpoint = [ { if = "expr", then = "404" }, { else = "200" } ]
 *   → <key>.0000.if, <key>.0000.then, <key>.0001.else
 *
 * `then` and `else` are expressions too: `"404"` is the number 404, `"'text'"` a string.
 * The first `if` that is true gives its `then`; none does, the `else`. Regex captures
 * from an `if` are visible to its `then`, as in Stalwart.
 */

/** The config as the rule list sees it; a `Map<string, string>` of flat keys is one. */
export interface RuleSource {
  get(key: string): string | undefined;
  keys(): Iterable<string>;
}

export interface Rule {
  readonly if: CompiledExpr;
  readonly then: CompiledExpr;
}

export interface CompiledRules {
  readonly key: string;
  readonly rules: readonly Rule[];
  readonly otherwise: CompiledExpr;
  /** Every variable any part reads. */
  readonly variables: ReadonlySet<string>;
  /** True when the result never depends on the request (a plain constant such as `200`). */
  readonly constant: boolean;
}

/** One problem, keyed by the flat key it is in (`http.allowed-endpoint.0000.if`). */
export interface RuleError {
  readonly key: string;
  readonly message: string;
  /** The expression text, when the problem is inside one. */
  readonly expression?: string;
  readonly position?: number;
  readonly line?: number;
  readonly column?: number;
}

export type RulesResult =
  | { readonly ok: true; readonly rules: CompiledRules | undefined }
  | { readonly ok: false; readonly errors: readonly RuleError[] };

interface Entry {
  readonly label: string;
  readonly props: Map<string, string>;
}

/**
 * Compiles the value or rule list at `key`. `rules` is undefined when the key is not set,
 * or set to an empty string. Every problem is reported, not just the first.
 */
export function compileRules(key: string, source: RuleSource, options: CompileOptions = {}): RulesResult {
  const errors: RuleError[] = [];
  const expr = (k: string, text: string): CompiledExpr | undefined => {
    const r = compile(text, options);
    if (r.ok) return r.expr;
    errors.push({ key: k, message: r.error.message, expression: text, position: r.error.position, line: r.error.line, column: r.error.column });
    return undefined;
  };

  const prefix = `${key}.`;
  const childKeys = [...source.keys()].filter((k) => k.startsWith(prefix));
  const single = source.get(key);
  // An empty expression is no rule at all in Stalwart (the setting keeps its default).
  if (single !== undefined && single.trim() === '' && childKeys.length === 0) return { ok: true, rules: undefined };
  if (single !== undefined) {
    if (childKeys.length > 0) {
      return { ok: false, errors: [{ key, message: `\`${key}\` is set both to a value and to a list of rules (${childKeys[0]}); keep one` }] };
    }
    const e = expr(key, single);
    return e ? { ok: true, rules: assemble(key, [], e) } : { ok: false, errors };
  }
  if (childKeys.length === 0) return { ok: true, rules: undefined };

  const entries = new Map<number, Entry>();
  for (const k of childKeys) {
    const m = /^(\d+)\.([^.]+)$/.exec(k.slice(prefix.length));
    if (!m) {
      errors.push({ key: k, message: `\`${k}\` is not part of a rule list; entries are \`${key}.<n>.if\`, \`.then\` and \`.else\`` });
      continue;
    }
    const [, label, prop] = m as unknown as [string, string, string];
    if (prop !== 'if' && prop !== 'then' && prop !== 'else') {
      errors.push({ key: k, message: `unknown property \`${prop}\` in a rule; a rule has \`if\` and \`then\`, the last entry \`else\`` });
      continue;
    }
    const n = Number(label);
    const entry = entries.get(n) ?? { label, props: new Map<string, string>() };
    if (entry.label !== label) {
      errors.push({ key: k, message: `two rule entries are numbered ${n} (\`${prefix}${entry.label}\` and \`${prefix}${label}\`)` });
      continue;
    }
    entry.props.set(prop, source.get(k)!);
    entries.set(n, entry);
  }

  const rules: Rule[] = [];
  let otherwise: CompiledExpr | undefined;
  let elseKey: string | undefined;
  const ordered = [...entries.entries()].sort((a, b) => a[0] - b[0]);
  ordered.forEach(([, { label, props }], i) => {
    const at = `${prefix}${label}`;
    const ifText = props.get('if');
    const thenText = props.get('then');
    const elseText = props.get('else');
    if (elseText !== undefined) {
      if (ifText !== undefined || thenText !== undefined) {
        errors.push({ key: at, message: `rule ${i + 1} has \`else\` together with \`if\`/\`then\`; put \`else\` in its own last entry, as \`{ else = "…" }\`` });
      } else if (elseKey !== undefined) {
        errors.push({ key: `${at}.else`, message: `more than one \`else\` (also \`${elseKey}\`)` });
      } else if (i !== ordered.length - 1) {
        errors.push({ key: `${at}.else`, message: '`else` must be the last entry: rules after it would never be reached' });
      }
      elseKey = `${at}.else`;
      otherwise = expr(`${at}.else`, elseText);
      return;
    }
    if (ifText === undefined) {
      errors.push({ key: `${at}.then`, message: `rule ${i + 1} has \`then\` without \`if\`` });
      return;
    }
    if (thenText === undefined) {
      errors.push({ key: `${at}.if`, message: `rule ${i + 1} has \`if\` without \`then\`` });
      return;
    }
    const cond = expr(`${at}.if`, ifText);
    const then = expr(`${at}.then`, thenText);
    if (cond && then) rules.push({ if: cond, then });
  });
  if (elseKey === undefined && errors.length === 0) {
    errors.push({ key, message: `the rule list has no \`else\`: end it with \`{ else = "…" }\`, the result when no \`if\` matches` });
  }
  if (errors.length > 0 || otherwise === undefined) return { ok: false, errors };
  return { ok: true, rules: assemble(key, rules, otherwise) };
}

function assemble(key: string, rules: readonly Rule[], otherwise: CompiledExpr): CompiledRules {
  const variables = new Set(otherwise.variables);
  for (const r of rules) for (const v of [...r.if.variables, ...r.then.variables]) variables.add(v);
  return { key, rules, otherwise, variables, constant: rules.length === 0 && otherwise.constant };
}

/** The result of the first rule whose `if` holds, else of `else`. Never throws. */
export function evaluateRules(compiled: CompiledRules, vars: Variables, ctx: EvalContext): Value | EvaluationFailure {
  const st = newState(vars, ctx);
  try {
    for (const r of compiled.rules) if (truthy(r.if.run(st))) return r.then.run(st);
    return compiled.otherwise.run(st);
  } catch (err) {
    return toFailure(err);
  }
}

/** As `evaluateRules`, also saying which rule decided: its index, or -1 for `else` (for `parapet explain`). */
export function explainRules(
  compiled: CompiledRules,
  vars: Variables,
  ctx: EvalContext,
): { readonly rule: number; readonly value: Value } | EvaluationFailure {
  const st = newState(vars, ctx);
  try {
    for (let i = 0; i < compiled.rules.length; i++) {
      const r = compiled.rules[i]!;
      if (truthy(r.if.run(st))) return { rule: i, value: r.then.run(st) };
    }
    return { rule: -1, value: compiled.otherwise.run(st) };
  } catch (err) {
    return toFailure(err);
  }
}
