/** Decides whether a setting's value is a secret that the audit log must not record. */
export type SecretMask = (key: string) => boolean;

export const MASKED_VALUE = '********';

const SECRET_WORDS = /secret|password|private-key|token/;
// `key` as a whole word at the end (`api-key`, `access_key`, `key`), not `keyboard` or `key-file`.
const KEY_WORD = /(?:^|[-_])keys?$/;
const ARRAY_INDEX = /^\d+$/;

/**
 * True when the key's last segment names a secret. For an array item
 * (`foo.api-keys.0000`) the segment that names the array decides.
 */
export const defaultSecretMask: SecretMask = (key) => {
  const segments = key.toLowerCase().split('.');
  let name = segments.pop() ?? '';
  while (ARRAY_INDEX.test(name) && segments.length > 0) name = segments.pop() ?? '';
  return SECRET_WORDS.test(name) || KEY_WORD.test(name);
};

export interface ValueChange {
  key: string;
  old: string | null;
  new: string | null;
}

/** Hides secret values but keeps `null`, so the log still shows that a secret was set or removed. */
export function maskValueChange(change: ValueChange, isSecret: SecretMask): ValueChange {
  if (!isSecret(change.key)) return change;
  const hide = (value: string | null): string | null => (value === null ? null : MASKED_VALUE);
  return { key: change.key, old: hide(change.old), new: hide(change.new) };
}
