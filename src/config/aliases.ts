import { diagnostic, type Diagnostic } from '../errors.js';
import type { FlatConfig } from './flatten.js';

const OLD_HTTP_PREFIX = 'server.http.';

/**
 * Before Stalwart 0.12 the HTTP keys lived under `server.http.*`. Stalwart now ignores
 * them silently, so rules in older files quietly stop applying; Parapet honours them
 * under their new names and says so.
 */
export function applyAliases(flat: FlatConfig): { flat: FlatConfig; diagnostics: Diagnostic[] } {
  const out: FlatConfig = new Map();
  const diagnostics: Diagnostic[] = [];
  const renamed: string[] = [];
  for (const [key, value] of flat) {
    if (!key.startsWith(OLD_HTTP_PREFIX)) {
      out.set(key, value);
      continue;
    }
    const newKey = `http.${key.slice(OLD_HTTP_PREFIX.length)}`;
    if (flat.has(newKey)) {
      diagnostics.push(
        diagnostic('CFG_ALIAS_CONFLICT', `both \`${key}\` and \`${newKey}\` are set; remove \`${key}\` (its old name)`, key),
      );
      continue;
    }
    renamed.push(key);
    out.set(newKey, value);
  }
  for (const key of collapseIndexed(renamed)) {
    diagnostics.push(
      diagnostic(
        'CFG_DEPRECATED_KEY',
        `\`${key}\` is the name used before Stalwart 0.12 (which now ignores it); it is applied as \`http.${key.slice(OLD_HTTP_PREFIX.length)}\`: rename it`,
        key,
      ),
    );
  }
  return { flat: out, diagnostics };
}

/** `x.0000`, `x.0001.if` → `x`, so an old array gets one warning, not one per element. */
function collapseIndexed(keys: string[]): string[] {
  return [...new Set(keys.map((k) => k.replace(/\.\d+(\..*)?$/, '')))];
}
