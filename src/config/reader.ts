import { diagnostic, type Code, type Diagnostic } from '../errors.js';
import type { FlatConfig } from './flatten.js';
import { expandValue, processMacroEnvironment, type MacroEnvironment } from './macros.js';
import { parseBool, parseDuration, parseInteger, parseRate, type Rate } from './values.js';

/** The longest delay node's timers take as it is (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Typed access to a flat config. Every key asked for is remembered as known (for
 * "did you mean" suggestions) and every key read is marked consumed (what is left over
 * is unknown); macros are expanded as values are read; every bad value becomes a diagnostic naming key, value and what is accepted,
 * and reading goes on so that all problems in a file are reported at once.
 */
export class ConfigReader {
  readonly diagnostics: Diagnostic[] = [];
  readonly known = new Set<string>();
  readonly consumed = new Set<string>();
  /** Sections Parapet does not serve, for the one info line that lists them. */
  readonly ignoredSections = new Set<string>();
  /** Files read through `%{file:…}%`: watched, so a renewed certificate is served without a restart. */
  readonly filesRead = new Set<string>();
  /** Keys not set, with the default applied, as config text: for `parapet config show`. */
  readonly defaults = new Map<string, string>();

  constructor(
    readonly flat: FlatConfig,
    private readonly environment: MacroEnvironment = processMacroEnvironment,
  ) {}

  report(code: Code, message: string, key?: string): void {
    this.diagnostics.push(diagnostic(code, message, key));
  }

  has(key: string): boolean {
    this.known.add(key);
    return this.flat.has(key) || this.children(key).length > 0;
  }

  raw(key: string): string | undefined {
    this.known.add(key);
    const v = this.flat.get(key);
    if (v === undefined) return undefined;
    this.consumed.add(key);
    return expandValue(v, this.environment, (code, message) => this.report(code, message, key), (path) => this.filesRead.add(path));
  }

  string(key: string, fallback: string): string;
  string(key: string): string | undefined;
  string(key: string, fallback?: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined && fallback !== undefined) this.defaults.set(key, fallback);
    return v ?? fallback;
  }

  bool(key: string, fallback: boolean): boolean {
    return this.typed(key, fallback, parseBool, 'CFG_INVALID_BOOL', '`true` or `false`');
  }

  duration(key: string, fallback: number): number {
    return this.typed(key, fallback, parseDuration, 'CFG_INVALID_DURATION', 'a duration such as `30s`, `5m`, `1h`, `1d` (a bare number is milliseconds)');
  }

  /** A duration that arms a timer: node's timers fire at once past 2^31 - 1 ms (24.8 days). */
  timeout(key: string, fallback: number): number {
    return this.typed(
      key,
      fallback,
      (raw) => {
        const ms = parseDuration(raw);
        return ms !== undefined && ms <= MAX_TIMER_MS ? ms : undefined;
      },
      'CFG_INVALID_DURATION',
      'a duration up to 24 days, such as `30s`, `5m`, `1h`, `1d` (a bare number is milliseconds)',
    );
  }

  rate(key: string, fallback: Rate): Rate {
    return this.typed(key, fallback, parseRate, 'CFG_INVALID_RATE', 'a rate such as `100/1m` (requests per duration)');
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    return this.typed(key, fallback, (r) => parseInteger(r, min, max), 'CFG_INVALID_INTEGER', `a whole number from ${min} to ${max}`);
  }

  /** A list: a TOML array, index keys (`key.0`, `key.0000`) or a single scalar. */
  list(key: string): string[] {
    const single = this.raw(key);
    if (single !== undefined) return [single];
    return this.children(key)
      .filter((c) => /^\d+$/.test(c))
      .sort((a, b) => Number(a) - Number(b))
      .map((c) => this.raw(`${key}.${c}`)!)
      .filter((v) => v !== undefined);
  }

  /** Distinct next segments under `prefix.` (listener ids, certificate ids…). */
  children(prefix: string): string[] {
    const p = `${prefix}.`;
    const ids = new Set<string>();
    for (const k of this.flat.keys()) if (k.startsWith(p)) ids.add(k.slice(p.length).split('.')[0]!);
    return [...ids];
  }

  /**
   * Whole remainders under `prefix.`, consumed: for keys that are themselves data, such as
   * `server.blocked-ip.10.0.0.0/8`, where splitting on dots would cut the address apart.
   */
  suffixes(prefix: string): string[] {
    const p = `${prefix}.`;
    const out: string[] = [];
    for (const k of this.flat.keys()) {
      if (k.startsWith(p)) {
        this.consumed.add(k);
        out.push(k.slice(p.length));
      }
    }
    return out;
  }

  /** Marks keys under a prefix as consumed without reading them; returns those not read before. */
  consumePrefix(prefix: string): string[] {
    const taken: string[] = [];
    for (const k of this.flat.keys()) {
      if ((k === prefix || k.startsWith(`${prefix}.`)) && !this.consumed.has(k)) {
        this.consumed.add(k);
        taken.push(k);
      }
    }
    return taken;
  }

  private typed<T>(key: string, fallback: T, parse: (raw: string) => T | undefined, code: Code, expected: string): T {
    const raw = this.raw(key);
    if (raw === undefined) {
      // Durations print as bare milliseconds and rates as count/milliseconds: both valid config.
      const shown = typeof fallback === 'object' && fallback !== null ? `${(fallback as unknown as Rate).requests}/${(fallback as unknown as Rate).periodMs}` : String(fallback);
      this.defaults.set(key, shown);
      return fallback;
    }
    const v = parse(raw);
    if (v === undefined) {
      this.report(code, `\`${raw}\` is not valid; expected ${expected}`, key);
      return fallback;
    }
    return v;
  }
}
