// Stalwart's settings change list, applied to a map: the management API applies it to a copy
// of the stored settings first, validates the config that copy would produce, and only then
// stores it, so one invalid value leaves everything as it was.

export type SettingChange =
  | { readonly type: 'insert'; readonly prefix?: string | null; readonly values: readonly (readonly [string, string])[]; readonly assert_empty?: boolean }
  | { readonly type: 'delete'; readonly keys: readonly string[] }
  | { readonly type: 'clear'; readonly prefix: string };

export class ChangeListError extends Error {}

const under = (key: string, prefix: string): boolean => {
  const p = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  return key === p || key.startsWith(`${p}.`);
};

export function applyChanges(current: ReadonlyMap<string, string>, changes: readonly SettingChange[]): Map<string, string> {
  const next = new Map(current);
  for (const c of changes) {
    if (c.type === 'insert') {
      const prefix = c.prefix ? c.prefix.replace(/\.$/, '') : '';
      if (c.assert_empty && prefix && [...next.keys()].some((k) => under(k, prefix))) {
        throw new ChangeListError(`\`${prefix}\` already has settings (assert_empty)`);
      }
      for (const [k, v] of c.values) next.set(prefix ? `${prefix}.${k}` : k, v);
    } else if (c.type === 'delete') {
      for (const k of c.keys) next.delete(k);
    } else {
      for (const k of [...next.keys()]) if (under(k, c.prefix)) next.delete(k);
    }
  }
  return next;
}

/** Validates the shape of a change list from a request body; undefined when it is not one. */
export function parseChangeList(body: unknown): SettingChange[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const out: SettingChange[] = [];
  const isString = (x: unknown): x is string => typeof x === 'string';
  for (const c of body as unknown[]) {
    if (typeof c !== 'object' || c === null) return undefined;
    const o = c as Record<string, unknown>;
    if (o.type === 'insert') {
      if (!Array.isArray(o.values) || !o.values.every((p) => Array.isArray(p) && p.length === 2 && isString(p[0]) && isString(p[1]))) return undefined;
      if (o.prefix !== undefined && o.prefix !== null && !isString(o.prefix)) return undefined;
      out.push({ type: 'insert', prefix: (o.prefix as string | null | undefined) ?? null, values: o.values as [string, string][], assert_empty: o.assert_empty === true });
    } else if (o.type === 'delete') {
      if (!Array.isArray(o.keys) || !o.keys.every(isString)) return undefined;
      out.push({ type: 'delete', keys: o.keys });
    } else if (o.type === 'clear') {
      if (!isString(o.prefix) || o.prefix === '') return undefined;
      out.push({ type: 'clear', prefix: o.prefix });
    } else {
      return undefined;
    }
  }
  return out;
}
