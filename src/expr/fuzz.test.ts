import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PRECEDENCE, type BinaryOp } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { compile, compileRules, evaluate, evaluateRules, HTTP_VARIABLES, isFailure, type Value, type Variables } from './index.js';
import { ctx } from './test-helpers.js';
import { cpuTimed } from '../test-helpers/cpu-time.js';

/**
 * Property tests: arbitrary text never makes `compile` throw or hang, and every
 * well-formed expression (generated as a tree, printed with only the parentheses its
 * precedence needs) compiles to exactly that tree and evaluates without throwing, fast.
 */

// ---- a generator of well-formed expressions -------------------------------------------

type Gen =
  | { k: 'int'; v: number }
  | { k: 'str'; v: string }
  | { k: 'var'; v: string }
  | { k: 'unary'; op: '!' | '-'; x: Gen }
  | { k: 'bin'; op: BinaryOp; l: Gen; r: Gen }
  | { k: 'call'; name: string; args: Gen[] }
  | { k: 'index'; x: Gen; i: Gen }
  | { k: 'array'; items: Gen[] };

const OPS = Object.keys(PRECEDENCE) as BinaryOp[];
const CALLS = [...FUNCTIONS.entries()].map(([name, f]) => ({ name, arity: f.arity }));

const genTree = fc.letrec<{ node: Gen }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 100_000 }).map((v): Gen => ({ k: 'int', v })),
    fc.string({ maxLength: 8 }).filter((s) => !/['\\]/.test(s)).map((v): Gen => ({ k: 'str', v })),
    fc.constantFrom(...HTTP_VARIABLES).map((v): Gen => ({ k: 'var', v })),
    fc.record({ op: fc.constantFrom('!' as const, '-' as const), x: tie('node') }).map(({ op, x }): Gen => ({ k: 'unary', op, x })),
    fc.record({ op: fc.constantFrom(...OPS), l: tie('node'), r: tie('node') }).map(({ op, l, r }): Gen => ({ k: 'bin', op, l, r })),
    fc
      .constantFrom(...CALLS)
      .chain(({ name, arity }) => fc.array(tie('node'), { minLength: arity, maxLength: arity }).map((args): Gen => ({ k: 'call', name, args }))),
    fc.record({ x: tie('node'), i: tie('node') }).map(({ x, i }): Gen => ({ k: 'index', x, i })),
    fc.array(tie('node'), { maxLength: 3 }).map((items): Gen => ({ k: 'array', items })),
  ),
})).node;

/** Source text with only the parentheses precedence requires. */
function source(g: Gen): string {
  switch (g.k) {
    case 'int':
      return String(g.v);
    case 'str':
      return `'${g.v}'`;
    case 'var':
      return g.v;
    case 'unary': {
      const inner = g.x.k === 'bin' ? `(${source(g.x)})` : source(g.x);
      return g.op + inner;
    }
    case 'bin': {
      const p = PRECEDENCE[g.op];
      const l = g.l.k === 'bin' && PRECEDENCE[g.l.op] < p ? `(${source(g.l)})` : source(g.l);
      const r = g.r.k === 'bin' && PRECEDENCE[g.r.op] <= p ? `(${source(g.r)})` : source(g.r);
      return `${l} ${g.op} ${r}`;
    }
    case 'call':
      return `${g.name}(${g.args.map(source).join(', ')})`;
    case 'index': {
      const x = g.x.k === 'bin' || g.x.k === 'unary' ? `(${source(g.x)})` : source(g.x);
      return `${x}[${source(g.i)}]`;
    }
    case 'array':
      return `[${g.items.map(source).join(', ')}]`;
  }
}

// ---- properties ---------------------------------------------------------------------------

const TOKENS = [
  'url', 'url_path', 'remote_ip', 'headers', 'method', 'listener', 'local_port', '1', '0', '2.5', "'a'", '"b"', '5m', 'true',
  '$1', '(', ')', '[', ']', ',', '+', '-', '*', '/', '!', '^', '&&', '||', '&', '|', '==', '=', '!=', '<', '<=', '>', '>=', '=>',
  'len(', 'split(', 'contains(', 'starts_with(', "matches('^/a(b)', ", 'is_ip_in_cidr(', 'config_get(', "'unterminated", '}', '#',
];

const anyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }).map((t) => t.join('')),
);

const anyVars: fc.Arbitrary<Variables> = fc.record({
  listener: fc.constantFrom('http', 'private-http', ''),
  remote_ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 10 })),
  remote_port: fc.integer({ min: 0, max: 65_535 }),
  local_ip: fc.ipV4(),
  local_port: fc.constantFrom(80, 443, 8080),
  protocol: fc.constantFrom('http', 'https'),
  is_tls: fc.constantFrom(0, 1),
  url: fc.webPath(),
  url_path: fc.webPath(),
  headers: fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }),
  method: fc.constantFrom('GET', 'POST', 'OPTIONS'),
});

describe('fuzz: compile', () => {
  test('arbitrary text never throws; errors point inside the source', () => {
    fc.assert(
      fc.property(anyText, (src) => {
        const r = compile(src);
        if (!r.ok) {
          assert.ok(r.error.position >= 0 && r.error.position <= src.length, `position ${r.error.position} in ${JSON.stringify(src)}`);
          assert.ok(r.error.message.length > 0);
          assert.doesNotMatch(r.error.message, /could not be compiled/, 'an internal error, not a syntax error');
          return;
        }
        const v = evaluate(r.expr, {}, ctx);
        if (isFailure(v)) assert.doesNotMatch(v.message, /internal error/);
      }),
      { numRuns: 3000 },
    );
  });

  test('arbitrary flat keys never make compileRules throw', () => {
    const key = fc.constantFrom('k', 'k.0', 'k.0.if', 'k.0.then', 'k.1.else', 'k.0000.if', 'k.x', 'k.1.when', 'k.2.if', 'k.2.then');
    fc.assert(
      fc.property(fc.dictionary(key, anyText, { maxKeys: 6 }), (entries) => {
        const r = compileRules('k', new Map(Object.entries(entries)));
        if (r.ok && r.rules) assert.doesNotThrow(() => evaluateRules(r.rules!, {}, ctx));
        if (!r.ok) assert.ok(r.errors.length > 0);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('fuzz: well-formed expressions', () => {
  test('compile, keep their meaning under minimal parentheses, and evaluate quickly without throwing', () => {
    fc.assert(
      fc.property(genTree, anyVars, (g, vars) => {
        const src = source(g);
        const r = compile(src);
        assert.ok(r.ok, `${src}: ${r.ok ? '' : r.error.message}`);
        if (!r.ok) return;
        // The same tree, fully parenthesised, means the same thing.
        const full = compile(parenthesised(g));
        assert.ok(full.ok);
        if (!full.ok) return;
        const { result: [a, b], ms } = cpuTimed(() => [evaluate(r.expr, vars, ctx), evaluate(full.expr, vars, ctx)] as const);
        assert.ok(ms < 250, `slow: ${src}`);
        for (const x of [a, b]) if (isFailure(x)) assert.doesNotMatch(x.message, /internal error/, src);
        assert.deepEqual(normalise(a), normalise(b), src);
      }),
      { numRuns: 600 },
    );
  });
});

function parenthesised(g: Gen): string {
  switch (g.k) {
    case 'unary':
      return `(${g.op}${parenthesised(g.x)})`;
    case 'bin':
      return `(${parenthesised(g.l)} ${g.op} ${parenthesised(g.r)})`;
    case 'call':
      return `${g.name}(${g.args.map(parenthesised).join(', ')})`;
    case 'index':
      return `(${parenthesised(g.x)})[${parenthesised(g.i)}]`;
    case 'array':
      return `[${g.items.map(parenthesised).join(', ')}]`;
    default:
      return source(g);
  }
}

/** Comparable form: floats by value (NaN included), failures by message. */
function normalise(v: Value | { message: string }): unknown {
  if (isFailure(v as never)) return { failure: (v as { message: string }).message };
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : x)));
}
