// Header lists built once (at config load, or the first time an answer is made) and then
// handed to node's `writeHead` as they are, by every response that carries them.
//
// They are deliberately not `Object.freeze`d. node:http's `_storeHeader` reads the list by
// index in optimized code, and V8 compiles that read inline for an ordinary array but through
// its generic keyed-load stub for a frozen one: measured with callgrind, a frozen list cost a
// bare node:http server about 1,360 more instructions per response (2.3% of all it does).
// TypeScript's `readonly` keeps Parapet's own code from changing a shared list; this set
// marks which lists are shared, so answers built from them can be cached by identity.

const shared = new WeakSet<readonly string[]>();

/** Marks `list` as built once and never changed again; returns it. */
export function sharedList(list: string[]): readonly string[] {
  shared.add(list);
  return list;
}

/** Whether `list` came from `sharedList`: the same array for every answer that carries it. */
export function isSharedList(list: readonly string[]): boolean {
  return shared.has(list);
}
