import { charge, checkArray, checkString, type State } from './state.js';
import { equals, Float, int, isArray, parseNumber, toStr, type Value } from './value.js';

/** The arithmetic operators, as Stalwart's `Variable::op_add`, `op_subtract`, `op_multiply`, `op_divide`, `op_minus`. */

const numeric = (v: Value): v is number | Float => typeof v === 'number' || v instanceof Float;
const num = (v: number | Float): number => (typeof v === 'number' ? v : v.value);

export function negate(v: Value): Value {
  if (typeof v === 'number') return v === 0 ? 0 : int(-v);
  if (v instanceof Float) return new Float(-v.value);
  return negate(parseNumber(v));
}

export function add(st: State, a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return int(a + b);
  if (numeric(a) && numeric(b)) return new Float(num(a) + num(b));
  if (isArray(a) || isArray(b)) {
    const out = isArray(a) ? (isArray(b) ? [...a, ...b] : [...a, b]) : [a, ...(b as readonly Value[])];
    charge(st, out.length);
    return checkArray(out);
  }
  // A string joins with the other operand's text, unless it is empty: then the other
  // operand is the result unchanged (`'' + 5` is the integer 5), as in Stalwart.
  if (typeof a === 'string') return a === '' ? b : concat(st, a, toStr(b));
  if (typeof b === 'string') return b === '' ? a : concat(st, toStr(a), b);
  return a; // unreachable: every pair of types is covered above
}

function concat(st: State, x: string, y: string): string {
  charge(st, x.length + y.length);
  return checkString(x + y);
}

export function subtract(st: State, a: Value, b: Value): Value {
  // An array minus a value removes that value, whichever side the array is on.
  if (isArray(a) || isArray(b)) {
    const [items, drop] = isArray(a) ? [a, b] : [b as readonly Value[], a];
    charge(st, items.length);
    return items.filter((x) => !equals(x, drop));
  }
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (typeof x === 'number' && typeof y === 'number') return int(x - y);
  return new Float(num(x) - num(y));
}

export function multiply(a: Value, b: Value): Value {
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (typeof x === 'number' && typeof y === 'number') return int(x * y);
  return new Float(num(x) * num(y));
}

/** Always a float; division by zero is 0.0 in Stalwart, not an error. */
export function divide(a: Value, b: Value): Value {
  const x = num(parseNumber(a));
  const y = num(parseNumber(b));
  return new Float(y !== 0 ? x / y : 0);
}
