import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../errors.js';
import { loadConfig, readSource } from '../config/load.js';
import { compilePolicy } from '../policy/index.js';
import { explain, type ExplainRequest, type Explanation } from '../policy/explain.js';

export const EXPLAIN_USAGE = `parapet explain --config FILE --method M --path P [--origin O] [--ip A] [--scheme http|https]
                  [--host H] [--header 'Name: value' ...] [--https-port N] [--json]
                                  what Parapet answers to that request, and which key caused each header`;

/** `parapet explain`: 0 when explained, 1 when the config is invalid, 2 on a usage error. */
export function explainCommand(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        origin: { type: 'string' },
        method: { type: 'string', default: 'GET' },
        path: { type: 'string', default: '/' },
        ip: { type: 'string', default: '127.0.0.1' },
        scheme: { type: 'string', default: 'https' },
        host: { type: 'string' },
        header: { type: 'string', short: 'H', multiple: true },
        'https-port': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!values.config) return usage('parapet explain needs --config FILE');
  if (values.scheme !== 'http' && values.scheme !== 'https') return usage(`--scheme is \`${values.scheme}\`; expected http or https`);
  const headers: [string, string][] = [];
  for (const raw of values.header ?? []) {
    const colon = raw.indexOf(':');
    if (colon <= 0) return usage(`--header \`${raw}\` is not \`Name: value\``);
    headers.push([raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()]);
  }
  let httpsPort: number | undefined;
  if (values['https-port'] !== undefined) {
    httpsPort = Number(values['https-port']);
    if (!Number.isInteger(httpsPort) || httpsPort < 1 || httpsPort > 65535) return usage('--https-port must be a port number');
  }

  const source = readSource(values.config);
  const loaded = 'code' in source ? { ok: false as const, diagnostics: [source] } : loadConfig(source);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    process.stderr.write(`${values.config}: invalid, nothing to explain\n`);
    return 1;
  }
  const request: ExplainRequest = {
    method: values.method!.toUpperCase(),
    path: values.path!,
    origin: values.origin,
    ip: values.ip!,
    scheme: values.scheme,
    host: values.host,
    headers,
    httpsPort,
  };
  const e = explain(compilePolicy(loaded.settings, loaded.flat), request);
  process.stdout.write(values.json ? `${JSON.stringify(e, null, 2)}\n` : report(e));
  return 0;
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\nUsage:\n  ${EXPLAIN_USAGE}\n`);
  return 2;
}

export function report(e: Explanation): string {
  const r = e.request;
  const lines = [
    `${r.method} ${r.secure ? 'https' : 'http'}://${r.host ?? '(no host)'}${r.url}${r.origin !== undefined ? `  Origin: ${r.origin}` : ''}`,
    `  client ${r.clientIp}, transport ${r.transport}, CORS ${r.corsMode}`,
    '',
    `decision: ${e.decision}`,
    '',
    `response headers (${e.step} step):`,
  ];
  const width = Math.min(60, Math.max(0, ...e.headers.map((h) => h.name.length + h.value.length + 2)));
  for (const h of e.headers) {
    const line = `${h.name}: ${h.value}`;
    lines.push(`  ${line.padEnd(width)}  ← ${h.keys.length > 0 ? h.keys[0] : '(protocol)'}: ${h.why}`);
  }
  if (e.notes.length > 0) lines.push('', 'notes:', ...e.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}
