import type { Value } from './value.js';

/** Binary operators, by Stalwart's precedence (higher binds tighter). */
export type BinaryOp = '*' | '/' | '+' | '-' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '^' | '&&' | '||';

export const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '*': 7, '/': 7,
  '+': 6, '-': 6,
  '<': 5, '<=': 5, '>': 5, '>=': 5,
  '==': 4, '!=': 4,
  '^': 3,
  '&&': 2,
  '||': 1,
};

/** `pos` is the 0-based offset of the node's first character (of the operator, for operators). */
export type Node =
  | { readonly t: 'const'; readonly value: Value; readonly pos: number }
  | { readonly t: 'var'; readonly name: string; readonly pos: number }
  | { readonly t: 'capture'; readonly index: number; readonly pos: number }
  | { readonly t: 'unary'; readonly op: '!' | '-'; readonly arg: Node; readonly pos: number }
  | { readonly t: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly t: 'index'; readonly target: Node; readonly index: Node; readonly pos: number }
  | { readonly t: 'array'; readonly items: readonly Node[]; readonly pos: number }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Node[]; readonly pos: number }
  | { readonly t: 'matches'; readonly regex: RegExp; readonly arg: Node; readonly pos: number };
