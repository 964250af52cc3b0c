import type { Value } from './value.js';

/**
 * Bounds on what one expression may cost. Stalwart's language has no loops, so a compiled
 * expression already runs in time linear in its size; these limits bound the size of the
 * values it builds (a chain of `+` or `split(x, '')` on a large header) so that no
 * configuration can make one request expensive. Exceeding one is an evaluation failure,
 * never an exception.
 */
export const LIMITS = {
  /** Characters in one expression's source. */
  maxSourceLength: 65_536,
  /** Nesting of the expression tree (parentheses, calls, operator chains). */
  maxDepth: 256,
  /** Characters in any string an expression builds. */
  maxStringLength: 1_048_576,
  /** Items in any array an expression builds. */
  maxArrayLength: 65_536,
  /** Characters a regular expression may be run against (`matches`). */
  maxRegexInput: 8_192,
  /**
   * Work units per evaluation: each function call, comparison, concatenation, array and
   * regex match costs 1 plus the characters (or items) it reads. Other nodes are O(1) and
   * their number is bounded by the source length.
   */
  maxWork: 8_000_000,
} as const;

/** Configuration lookups an expression can make (`config_get`, `key_get`). */
export interface EvalContext {
  /** The value of a config key (macros expanded), or undefined when the key is not set. */
  configGet(key: string): string | undefined;
  /** The server host name: `server.hostname`, else the system host name. */
  readonly hostname: string;
}

/** Variable values by name; a name the expression may use but that is absent reads as ''. */
export type Variables = Readonly<Record<string, Value | undefined>>;

/** Per-evaluation state: one object per evaluation, nothing else is allocated up front. */
export interface State {
  readonly vars: Variables;
  readonly ctx: EvalContext;
  /** Groups of the last `matches()` ($0, $1, …), shared by the `if` and `then` of a rule. */
  captures: readonly string[];
  work: number;
}

/** Thrown inside evaluation only, and turned into an `EvaluationFailure` at the boundary. */
export class LimitExceeded {
  constructor(readonly message: string) {}
}

export function charge(st: State, units: number): void {
  st.work += units;
  if (st.work > LIMITS.maxWork) throw new LimitExceeded(`evaluation exceeded its budget of ${LIMITS.maxWork} work units`);
}

export function checkString(s: string): string {
  if (s.length > LIMITS.maxStringLength) throw new LimitExceeded(`a string grew beyond ${LIMITS.maxStringLength} characters`);
  return s;
}

export function checkArray<T extends readonly Value[]>(a: T): T {
  if (a.length > LIMITS.maxArrayLength) throw new LimitExceeded(`an array grew beyond ${LIMITS.maxArrayLength} items`);
  return a;
}
