import { parse, TomlError } from 'smol-toml';
import { diagnostic, type Diagnostic } from '../errors.js';

/**
 * A config as Stalwart sees it: dotted keys to string values. Arrays become index keys
 * (`http.headers.0000`), exactly as Stalwart flattens them, so files that spell arrays as
 * `proxy.trusted-networks.0` and files that use TOML arrays read the same.
 */
export type FlatConfig = Map<string, string>;

export interface ParsedToml {
  readonly flat: FlatConfig;
  readonly diagnostics: Diagnostic[];
}

export function parseToml(text: string, fileName: string): ParsedToml {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      return {
        flat: new Map(),
        diagnostics: [diagnostic('CFG_TOML_SYNTAX', `${fileName}:${err.line}:${err.column}: ${reason}`)],
      };
    }
    throw err;
  }
  const flat: FlatConfig = new Map();
  const diagnostics: Diagnostic[] = [];
  flattenInto(doc, flat, diagnostics);
  return { flat, diagnostics };
}

export const indexKey = (i: number): string => String(i).padStart(4, '0');

/**
 * Depth first, in document order, with a stack of its own: `a.a.a…b = 1` nests as deep as the
 * key has parts, and a few thousand parts would overflow the call stack.
 */
function flattenInto(doc: unknown, out: FlatConfig, diagnostics: Diagnostic[]): void {
  const stack: [value: unknown, path: string][] = [[doc, '']];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, path] = top;
    if (Array.isArray(value)) {
      if (path === 'server.listener') {
        diagnostics.push(
          diagnostic(
            'CFG_LISTENER_ARRAY',
            '`[[server.listener]]` declares an array; Stalwart names each listener: write `[server.listener.<id>]`, e.g. `[server.listener.https]`',
            path,
          ),
        );
        continue;
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}.${indexKey(i)}`]);
      continue;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], path ? `${path}.${entries[i]![0]}` : entries[i]![0]]);
      continue;
    }
    out.set(path, scalarToString(value));
  }
}

function scalarToString(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
