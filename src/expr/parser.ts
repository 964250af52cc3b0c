import { PRECEDENCE, type BinaryOp, type Node } from './ast.js';
import { FUNCTIONS, UNSUPPORTED_FUNCTIONS } from './functions.js';
import { ExprSyntaxError, tokenize, type Op, type Token } from './lexer.js';
import { compileRegex } from './regex.js';
import { LIMITS } from './state.js';

/**
 * A precedence-climbing parser for Stalwart's grammar. Stalwart parses with a
 * shunting-yard loop that accepts some malformed input (two operands in a row, a trailing
 * operator) and evaluates it oddly; every well-formed expression parses to the same tree
 * here, and malformed ones are refused with the offset of the problem. Unknown names and
 * wrong argument counts are refused here too, at load, never at request time.
 *
 * Grammar (precedence from loose to tight, all binary operators left-associative):
 *   expr    := or
 *   or      := and ('||' and)*          and := xor ('&&' xor)*       xor := eq ('^' eq)*
 *   eq      := cmp (('=='|'!=') cmp)*   cmp := add (('<'|'<='|'>'|'>=') add)*
 *   add     := mul (('+'|'-') mul)*     mul := unary (('*'|'/') unary)*
 *   unary   := ('!'|'-') unary | postfix
 *   postfix := primary ('[' expr ']')*
 *   primary := literal | name | '$'digits | name '(' args ')' | '(' expr ')' | '[' items ']'
 */

export interface ParseOptions {
  /** Variable names the expression may use. */
  readonly variables: ReadonlySet<string>;
}

const BINARY = new Set<Op>(Object.keys(PRECEDENCE) as BinaryOp[]);

export function parse(src: string, options: ParseOptions): Node {
  if (src.length > LIMITS.maxSourceLength) {
    throw new ExprSyntaxError(`expression is longer than ${LIMITS.maxSourceLength} characters`, LIMITS.maxSourceLength);
  }
  const p = new Parser(tokenize(src), options);
  if (p.peek().kind === 'eof') throw new ExprSyntaxError('empty expression', 0);
  const node = p.expr();
  const end = p.peek();
  if (end.kind !== 'eof') {
    const hint = end.kind === 'op' && end.op === ')' ? 'unmatched closing parenthesis' : `expected an operator, found ${describe(end)}`;
    throw new ExprSyntaxError(hint, end.pos);
  }
  return node;
}

class Parser {
  private i = 0;
  private nesting = 0;
  /** Height of each node's subtree: evaluation recurses that deep, so it is bounded. */
  private readonly height = new WeakMap<Node, number>();

  constructor(
    private readonly tokens: Token[],
    private readonly options: ParseOptions,
  ) {}

  peek(): Token {
    return this.tokens[this.i]!;
  }

  expr(): Node {
    return this.binary(1);
  }

  private next(): Token {
    return this.tokens[this.i++]!;
  }

  private isOp(op: Op): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.op === op;
  }

  private expect(op: Op, context: string, openedAt: number): void {
    const t = this.peek();
    if (t.kind === 'op' && t.op === op) {
      this.i++;
      return;
    }
    const what = t.kind === 'eof' ? `missing '${op}' ${context} (opened at offset ${openedAt})` : `expected '${op}' ${context}, found ${describe(t)}`;
    throw new ExprSyntaxError(what, t.pos);
  }

  private node(n: Node, ...children: readonly Node[]): Node {
    let h = 0;
    for (const c of children) h = Math.max(h, this.height.get(c) ?? 1);
    if (h + 1 > LIMITS.maxDepth) throw new ExprSyntaxError(`expression is nested more than ${LIMITS.maxDepth} levels deep`, n.pos);
    this.height.set(n, h + 1);
    return n;
  }

  private binary(minPrec: number): Node {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !BINARY.has(t.op)) return left;
      const op = t.op as BinaryOp;
      const prec = PRECEDENCE[op];
      if (prec < minPrec) return left;
      this.i++;
      const right = this.binary(prec + 1);
      left = this.node({ t: 'binary', op, left, right, pos: t.pos }, left, right);
    }
  }

  private unary(): Node {
    if (++this.nesting > LIMITS.maxDepth) {
      throw new ExprSyntaxError(`expression is nested more than ${LIMITS.maxDepth} levels deep`, this.peek().pos);
    }
    const t = this.peek();
    let n: Node;
    if (t.kind === 'op' && (t.op === '!' || t.op === '-')) {
      this.i++;
      const arg = this.unary();
      n = this.node({ t: 'unary', op: t.op, arg, pos: t.pos }, arg);
    } else {
      n = this.postfix();
    }
    this.nesting--;
    return n;
  }

  private postfix(): Node {
    let n = this.primary();
    while (this.isOp('[')) {
      const open = this.next().pos;
      if (this.isOp(']')) throw new ExprSyntaxError('missing array index between [ and ]', this.peek().pos);
      const index = this.expr();
      this.expect(']', 'after the array index', open);
      n = this.node({ t: 'index', target: n, index, pos: open }, n, index);
    }
    return n;
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'value':
        return this.node({ t: 'const', value: t.value, pos: t.pos });
      case 'capture':
        return this.node({ t: 'capture', index: t.index, pos: t.pos });
      case 'name':
        if (this.isOp('(')) return this.call(t.name, t.pos);
        if (this.options.variables.has(t.name)) return this.node({ t: 'var', name: t.name, pos: t.pos });
        throw new ExprSyntaxError(this.unknownName(t.name), t.pos);
      case 'op':
        if (t.op === '(') {
          const inner = this.expr();
          this.expect(')', 'to close the parenthesis', t.pos);
          return inner;
        }
        if (t.op === '[') return this.array(t.pos);
        throw new ExprSyntaxError(`expected a value, found ${describe(t)}`, t.pos);
      case 'eof':
        throw new ExprSyntaxError('unexpected end of expression: a value is missing', t.pos);
    }
  }

  private array(pos: number): Node {
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.expr());
      if (this.isOp(',')) this.i++;
      else if (!this.isOp(']')) this.expect(']', 'to close the list', pos);
    }
    this.i++;
    return this.node({ t: 'array', items, pos }, ...items);
  }

  private call(name: string, pos: number): Node {
    const open = this.next().pos;
    if (name === 'matches') return this.matches(pos, open);
    const fn = FUNCTIONS.get(name);
    if (fn === undefined) {
      const unsupported = UNSUPPORTED_FUNCTIONS.get(name);
      if (unsupported) throw new ExprSyntaxError(`\`${name}\` is a Stalwart function Parapet does not provide: ${unsupported}`, pos);
      throw new ExprSyntaxError(`unknown function \`${name}\`${suggest(name, [...FUNCTIONS.keys(), 'matches'])}`, pos);
    }
    const args: Node[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        args.push(this.expr());
        if (!this.isOp(',')) break;
        this.i++;
      }
    }
    this.expect(')', `to close the call to ${name}()`, open);
    if (args.length !== fn.arity) {
      throw new ExprSyntaxError(`\`${name}\` takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, got ${args.length}`, pos);
    }
    return this.node({ t: 'call', name, args, pos }, ...args);
  }

  /** `matches('regex', value)`: as in Stalwart, the pattern must be a quoted literal. */
  private matches(pos: number, open: number): Node {
    const pattern = this.next();
    if (pattern.kind !== 'value' || !pattern.quoted || typeof pattern.value !== 'string') {
      throw new ExprSyntaxError('the first argument of `matches` must be a quoted regular expression', pattern.pos);
    }
    const regex = compileRegex(pattern.value, pattern.pos);
    this.expect(',', 'after the regular expression (`matches` takes 2 arguments)', open);
    const arg = this.expr();
    this.expect(')', 'to close the call to matches() (it takes 2 arguments)', open);
    return this.node({ t: 'matches', regex, arg, pos }, arg);
  }

  private unknownName(name: string): string {
    if (FUNCTIONS.has(name) || name === 'matches') return `\`${name}\` is a function: call it as ${name}(…)`;
    const known = [...this.options.variables];
    const list = known.length > 0 ? ` (variables here: ${known.join(', ')})` : ' (no variables are available here)';
    return `unknown variable \`${name}\`${suggest(name, known)}${list}`;
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'op':
      return `'${t.op}'`;
    case 'value':
      return typeof t.value === 'string' ? `the string ${JSON.stringify(t.value)}` : 'a number';
    case 'capture':
      return `$${t.index}`;
    case 'name':
      return `\`${t.name}\``;
    case 'eof':
      return 'the end of the expression';
  }
}

/** "; did you mean `x`?" for a near miss (edit distance ≤ 2), else ''. */
export function suggest(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : `; did you mean \`${best}\`?`;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
