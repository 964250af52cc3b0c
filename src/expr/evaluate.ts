import type { BinaryOp, Node } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { charge, checkArray, checkString, LIMITS, LimitExceeded, type EvalContext, type State, type Variables } from './state.js';
import { add, divide, multiply, negate, subtract } from './operators.js';
import { compare, equals, intoArray, isArray, toIndex, toStr, truthy, type Value } from './value.js';

/**
 * Turns a parsed tree into nested closures, once per config: evaluation is then a chain
 * of direct calls with no dispatch on node types. Subtrees that do not depend on the
 * request are folded into constants. Operators follow Stalwart's `Variable::op_*`.
 */

type Thunk = (st: State) => Value;

export class CompiledExpr {
  /** @internal */
  constructor(
    readonly source: string,
    /** Variables the expression reads: the caller can skip computing the others (`headers`). */
    readonly variables: ReadonlySet<string>,
    /** True when the result never depends on the request or the config: evaluate it once. */
    readonly constant: boolean,
    /** @internal */
    readonly run: Thunk,
  ) {}
}

/** A run-time failure (a limit exceeded): the caller denies the request and logs `message`. */
export class EvaluationFailure {
  constructor(readonly message: string) {}
}

export const isFailure = (v: Value | EvaluationFailure): v is EvaluationFailure => v instanceof EvaluationFailure;

const NO_CAPTURES: readonly string[] = Object.freeze([]);

export function newState(vars: Variables, ctx: EvalContext): State {
  return { vars, ctx, captures: NO_CAPTURES, work: 0 };
}

/** Runs a thunk; never throws. */
export function runSafely(run: Thunk, st: State): Value | EvaluationFailure {
  try {
    return run(st);
  } catch (err) {
    return toFailure(err);
  }
}

export function toFailure(err: unknown): EvaluationFailure {
  if (err instanceof LimitExceeded) return new EvaluationFailure(err.message);
  if (err instanceof RangeError) return new EvaluationFailure(`evaluation failed: ${err.message}`);
  return new EvaluationFailure(`internal error in expression evaluation: ${err instanceof Error ? err.message : String(err)}`);
}

export function build(source: string, root: Node): CompiledExpr {
  const variables = new Set<string>();
  const c = compileNode(root, variables);
  return new CompiledExpr(source, variables, c.constant, c.run);
}

interface Compiled {
  readonly run: Thunk;
  readonly constant: boolean;
  /** The value, when constant. */
  readonly value?: Value;
}

const constant = (value: Value): Compiled => ({ run: () => value, constant: true, value });

/** A scratch state for folding: pure subtrees read neither variables nor the context. */
const FOLD_CONTEXT: EvalContext = { configGet: () => undefined, hostname: '' };

function fold(c: Compiled, children: readonly Compiled[], pure = true): Compiled {
  if (!pure || !children.every((x) => x.constant)) return c;
  try {
    return constant(c.run(newState({}, FOLD_CONTEXT)));
  } catch {
    return c; // exceeds a limit: leave it to fail at evaluation, where it is reported
  }
}

function compileNode(n: Node, vars: Set<string>): Compiled {
  switch (n.t) {
    case 'const':
      return constant(n.value);
    case 'var': {
      vars.add(n.name);
      const name = n.name;
      return { run: (st) => st.vars[name] ?? '', constant: false };
    }
    case 'capture': {
      const i = n.index;
      return { run: (st) => st.captures[i] ?? '', constant: false };
    }
    case 'unary': {
      const a = compileNode(n.arg, vars);
      const f = a.run;
      const run: Thunk = n.op === '!' ? (st) => (truthy(f(st)) ? 0 : 1) : (st) => negate(f(st));
      return fold({ run, constant: false }, [a]);
    }
    case 'binary':
      return binary(n.op, compileNode(n.left, vars), compileNode(n.right, vars));
    case 'index': {
      const t = compileNode(n.target, vars);
      const i = compileNode(n.index, vars);
      const ft = t.run;
      const fi = i.run;
      const run: Thunk = (st) => {
        const items = intoArray(ft(st));
        const k = toIndex(fi(st));
        return k < items.length ? items[k]! : '';
      };
      return fold({ run, constant: false }, [t, i]);
    }
    case 'array': {
      const items = n.items.map((x) => compileNode(x, vars));
      const fs = items.map((x) => x.run);
      const run: Thunk = (st) => {
        charge(st, fs.length);
        const out = new Array<Value>(fs.length);
        for (let k = 0; k < fs.length; k++) out[k] = fs[k]!(st);
        return out;
      };
      return fold({ run, constant: false }, items);
    }
    case 'call':
      return call(n.name, n.args.map((x) => compileNode(x, vars)));
    case 'matches': {
      const a = compileNode(n.arg, vars);
      const f = a.run;
      const regex = n.regex;
      return {
        constant: false, // sets the captures ($1…), so it always runs
        run: (st) => {
          const s = toStr(f(st));
          charge(st, 1 + s.length);
          if (s.length > LIMITS.maxRegexInput) throw new LimitExceeded(`matches() was given ${s.length} characters; the limit is ${LIMITS.maxRegexInput}`);
          const m = regex.exec(s);
          st.captures = m === null ? NO_CAPTURES : Array.from(m, (g) => g ?? '');
          return m === null ? 0 : 1;
        },
      };
    }
  }
}

function binary(op: BinaryOp, l: Compiled, r: Compiled): Compiled {
  const a = l.run;
  const b = r.run;
  // `a && b` / `a || b` short-circuit and then answer the left operand itself, as
  // Stalwart's jump leaves it on the stack; otherwise they answer 1 or 0.
  if (op === '&&' || op === '||') {
    const stopOn = op === '||';
    if (l.constant && truthy(l.value!) === stopOn) return l;
    const run: Thunk = (st) => {
      const x = a(st);
      if (truthy(x) === stopOn) return x;
      return truthy(b(st)) ? 1 : 0;
    };
    if (l.constant) return fold({ run: (st) => (truthy(b(st)) ? 1 : 0), constant: false }, [r]);
    return fold({ run, constant: false }, [l, r]);
  }
  const run = BINARY[op](a, b);
  return fold({ run, constant: false }, [l, r]);
}

const BINARY: Readonly<Record<Exclude<BinaryOp, '&&' | '||'>, (a: Thunk, b: Thunk) => Thunk>> = {
  '+': (a, b) => (st) => add(st, a(st), b(st)),
  '-': (a, b) => (st) => subtract(st, a(st), b(st)),
  '*': (a, b) => (st) => multiply(a(st), b(st)),
  '/': (a, b) => (st) => divide(a(st), b(st)),
  '^': (a, b) => (st) => (truthy(a(st)) !== truthy(b(st)) ? 1 : 0),
  '==': (a, b) => (st) => (eq(st, a(st), b(st)) ? 1 : 0),
  '!=': (a, b) => (st) => (eq(st, a(st), b(st)) ? 0 : 1),
  '<': (a, b) => (st) => (cmp(st, a(st), b(st)) === -1 ? 1 : 0),
  '<=': (a, b) => (st) => {
    const c = cmp(st, a(st), b(st));
    return c === -1 || c === 0 ? 1 : 0;
  },
  '>': (a, b) => (st) => (cmp(st, a(st), b(st)) === 1 ? 1 : 0),
  '>=': (a, b) => (st) => {
    const c = cmp(st, a(st), b(st));
    return c === 1 || c === 0 ? 1 : 0;
  },
};

/** Comparisons read both operands: charged like a function call. */
function eq(st: State, x: Value, y: Value): boolean {
  charge(st, 1 + weight(x) + weight(y));
  return equals(x, y);
}

function cmp(st: State, x: Value, y: Value): number {
  charge(st, 1 + weight(x) + weight(y));
  return compare(x, y);
}

function call(name: string, args: readonly Compiled[]): Compiled {
  const fn = FUNCTIONS.get(name)!;
  const impl = fn.impl;
  const [a, b, c] = args.map((x) => x.run) as [Thunk, Thunk | undefined, Thunk | undefined];
  let run: Thunk;
  if (b === undefined) {
    run = (st) => {
      const x = a(st);
      charge(st, 1 + weight(x));
      return checked(impl(st, x, '', ''));
    };
  } else if (c === undefined) {
    run = (st) => {
      const x = a(st);
      const y = b(st);
      charge(st, 1 + weight(x) + weight(y));
      return checked(impl(st, x, y, ''));
    };
  } else {
    run = (st) => {
      const x = a(st);
      const y = b(st);
      const z = c(st);
      charge(st, 1 + weight(x) + weight(y) + weight(z));
      return checked(impl(st, x, y, z));
    };
  }
  return fold({ run, constant: false }, args, fn.pure);
}

/** What reading a value costs: its characters, or its items'. */
function weight(v: Value): number {
  if (typeof v === 'string') return v.length;
  if (!isArray(v)) return 1;
  let w = v.length;
  for (const x of v) w += typeof x === 'string' ? x.length : weight(x);
  return w;
}

function checked(v: Value): Value {
  if (typeof v === 'string') return checkString(v);
  if (isArray(v)) return checkArray(v);
  return v;
}
