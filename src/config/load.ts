import { readFileSync } from 'node:fs';
import { diagnostic, hasErrors, type Diagnostic } from '../errors.js';
import { applyAliases } from './aliases.js';
import { DEFAULT_LISTENERS_TOML, EMBEDDED_CONFIG_TOML } from './defaults.js';
import { parseToml, type FlatConfig } from './flatten.js';
import { processMacroEnvironment, type MacroEnvironment } from './macros.js';
import { ConfigReader } from './reader.js';
import { readSettings, type Settings } from './settings.js';
import { closest } from './values.js';

export interface ConfigSource {
  /** The file name, or `<embedded>` for the built-in default. */
  readonly name: string;
  readonly text: string;
}

export type LoadResult =
  | {
      readonly ok: true;
      readonly settings: Settings;
      readonly flat: FlatConfig;
      /** Keys left unset, with the default that applies. */
      readonly defaults: ReadonlyMap<string, string>;
      /**
       * Keys of `flat` that come from Parapet's built-in config rather than the operator's:
       * all of the embedded default's when no file is given, or the default listeners a file
       * without any listener gets. The management API's stored settings win over them.
       */
      readonly builtIn: ReadonlySet<string>;
      readonly files: readonly string[];
      readonly diagnostics: readonly Diagnostic[];
    }
  | { readonly ok: false; readonly files: readonly string[]; readonly diagnostics: readonly Diagnostic[] };

export const EMBEDDED_SOURCE: ConfigSource = { name: '<embedded>', text: EMBEDDED_CONFIG_TOML };

export function readSource(path: string | undefined): ConfigSource | Diagnostic {
  if (path === undefined) return EMBEDDED_SOURCE;
  try {
    return { name: path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    return diagnostic('CFG_FILE_UNREADABLE', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * TOML text → flat keys → typed, validated settings, with every problem found reported at once.
 * `overlay` holds settings written through the management API: they win over the file.
 */
export function loadConfig(
  source: ConfigSource,
  environment: MacroEnvironment = processMacroEnvironment,
  overlay: ReadonlyMap<string, string> = new Map(),
): LoadResult {
  const parsed = parseToml(source.text, source.name);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  if (hasErrors(diagnostics)) return { ok: false, files: [], diagnostics };
  const aliased = applyAliases(parsed.flat);
  diagnostics.push(...aliased.diagnostics);
  const flat = aliased.flat;
  const builtIn = new Set<string>(source === EMBEDDED_SOURCE ? flat.keys() : []);
  for (const [k, v] of overlay) {
    flat.set(k, v);
    builtIn.delete(k);
  }
  if (![...flat.keys()].some((k) => k.startsWith('server.listener.'))) {
    for (const [k, v] of parseToml(DEFAULT_LISTENERS_TOML, '<defaults>').flat) {
      flat.set(k, v);
      builtIn.add(k);
    }
  }

  const reader = new ConfigReader(flat, environment);
  const settings = readSettings(reader);
  diagnostics.push(...reader.diagnostics, ...leftoverDiagnostics(reader), ...crossChecks(settings, source));
  const files = [...reader.filesRead];
  if (hasErrors(diagnostics)) return { ok: false, files, diagnostics };
  return { ok: true, settings, flat, defaults: reader.defaults, builtIn, files, diagnostics };
}

const MISPLACED: Record<string, string> = {
  'server.security.allowed-ip': 'server.allowed-ip.<ip>',
  'server.security.blocked-ip': 'server.blocked-ip.<ip>',
};

/** Keys nobody read: unknown inside a section Parapet serves, or a section it does not serve. */
function leftoverDiagnostics(r: ConfigReader): Diagnostic[] {
  const out: Diagnostic[] = [];
  const served = (k: string) => k.startsWith('http.') || k.startsWith('certificate.') || /^server\.listener\.[^.]+\./.test(k);
  for (const key of r.flat.keys()) {
    if (r.consumed.has(key)) continue;
    const misplaced = Object.keys(MISPLACED).find((p) => key === p || key.startsWith(`${p}.`));
    if (misplaced) {
      out.push(diagnostic('CFG_MISPLACED_KEY', `Stalwart never reads \`${misplaced}\`; the list belongs in \`${MISPLACED[misplaced]}\` (one key per address)`, key));
    } else if (served(key)) {
      const section = key.split('.').slice(0, key.startsWith('http.') ? 1 : key.startsWith('server.') ? 3 : 2).join('.');
      const candidates = [...r.known].filter((k) => k.startsWith(`${section}.`));
      const suggestion = closest(key, candidates);
      out.push(diagnostic('CFG_UNKNOWN_KEY', `unknown key${suggestion ? `; did you mean \`${suggestion}\`?` : ` in \`${section}\``}`, key));
    } else {
      const parts = key.split('.');
      r.ignoredSections.add(parts[0] === 'server' && parts.length > 2 ? `${parts[0]}.${parts[1]}` : parts[0]!);
    }
  }
  if (r.ignoredSections.size > 0) {
    out.push(diagnostic('CFG_IGNORED_SECTIONS', `skipped, not served by Parapet: ${[...r.ignoredSections].sort().join(', ')}`));
  }
  return out;
}

function crossChecks(s: Settings, source: ConfigSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (s.listeners.length === 0) {
    out.push(diagnostic('CFG_NO_HTTP_LISTENER', 'no listener has `protocol = "http"`; add one, e.g. `[server.listener.https] bind = "[::]:443" protocol = "http" tls.implicit = true`', 'server.listener'));
  }
  const tlsListeners = s.listeners.filter((l) => l.tls);
  if (s.http.hsts.enabled && tlsListeners.length === 0 && !s.http.forwarded.useXForwarded) {
    out.push(
      diagnostic(
        'CFG_HSTS_UNDELIVERABLE',
        'HSTS is on but can never be sent: no listener has `tls.implicit = true`, and `http.use-x-forwarded` is off so no proxy can vouch for HTTPS',
        'http.hsts',
      ),
    );
  }
  if (tlsListeners.length > 0 && s.certificates.length === 0 && source !== EMBEDDED_SOURCE) {
    out.push(diagnostic('CFG_TLS_SELF_SIGNED', `no certificate is configured for ${tlsListeners.map((l) => `\`${l.id}\``).join(', ')}; a self-signed certificate from the data folder is used`, 'certificate'));
  }
  return out;
}
