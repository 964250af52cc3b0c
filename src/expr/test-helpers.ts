import { compile, describeValue, evaluate, isFailure, type EvalContext, type Variables } from './index.js';

/** Shared fixtures for the expression tests. */

const config = new Map([
  ['server.hostname', 'mail.example.com'],
  ['lookup.default.domain', 'example.com'],
]);

export const ctx: EvalContext = { configGet: (key) => config.get(key), hostname: 'host.local' };

export const request: Variables = {
  listener: 'https',
  remote_ip: '192.0.2.7',
  remote_port: 50123,
  local_ip: '10.0.0.1',
  local_port: 443,
  protocol: 'https',
  is_tls: 1,
  url: '/jmap/session?x=1',
  url_path: '/jmap/session',
  headers: ['host: mail.example.com', 'user-agent: test/1.0', 'x-empty: '],
  method: 'GET',
};

/** Evaluates and renders as Stalwart's debug form, or `ERROR: …`. */
export function run(src: string, vars: Variables = request): string {
  const r = compile(src);
  if (!r.ok) return `ERROR: ${r.error.message}`;
  const v = evaluate(r.expr, vars, ctx);
  return isFailure(v) ? `FAIL: ${v.message}` : describeValue(v);
}

